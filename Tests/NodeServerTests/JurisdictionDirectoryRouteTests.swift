import CaseDomain
import Foundation
import Hummingbird
import Testing

/// `GET /v1/directory/jurisdiction?venue=` and the intake form's suggestion, over the
/// example federation's directory.
@Suite("The jurisdiction directory over HTTP and at intake")
struct JurisdictionDirectoryRouteTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests
    typealias Intake = StaffIntakeTests

    static func lookUp(_ node: H, _ venue: String) async throws -> H.Answer {
        let query = venue.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? venue
        return try await node.call(.get, "/v1/directory/jurisdiction?venue=\(query)", as: H.wulian)
    }

    @Test func aVenueAsTypedSuggestsItsCentre() async throws {
        try await H.run { node in
            let found = try await Self.lookUp(node, "李沧法院")
            #expect(found.status == .ok && found.json["suggestedCentre"] == "qingdao-licang", "\(found.json)")
            #expect(found.json["matches"]?[0]?["name"] == "青岛市李沧区人民法院" && found.json["matches"]?[0]?["kind"] == "court")
            #expect(found.json["matches"]?[0]?["centreName"]?.stringValue?.contains("李沧") == true, "\(found.json)")
            let broad = try await Self.lookUp(node, "青岛")
            #expect(broad.status == .ok && broad.json["suggestedCentre"]?.stringValue == nil, "many centres: none suggested: \(broad.json)")
            let none = try await Self.lookUp(node, "北京市朝阳区人民法院")
            #expect(none.status == .ok && none.json["matches"] == .array([]))
        }
    }

    @Test func aMissingOrHostileVenueIsRefusedByName() async throws {
        try await H.run { node in
            for query in ["", "venue=", "venue=%20%20", "venue=%00", "venue=a%0Ab", "venue=%E2%80%AE", "venue=" + String(repeating: "a", count: 201)] {
                let answer = try await node.call(.get, "/v1/directory/jurisdiction?\(query)", as: H.wulian)
                #expect(answer.status == .unprocessableContent && answer.json["errors"]?[0]?["field"] == "venue", "\(query): \(answer.status) \(answer.json)")
            }
            let anonymous = try await node.call(.get, "/v1/directory/jurisdiction?venue=x", as: nil)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func theIntakeFormTakesTheDirectorysCentreWhenNoneIsChosen() async throws {
        try await H.run { node in
            let wulian = try await Pages.signIn(node, as: H.wulian)
            let (_, form) = try await Pages.page(node, "/intake", cookie: wulian)
            #expect(form.contains(#"<datalist id="venues">"#) && form.contains(#"<option value="青岛市李沧区人民法院">"#), "the venues are offered as you type")
            let csrf = try Pages.csrf(in: form)
            func fields(venue: String) -> [(String, String)] {
                Intake.zhang(csrf: csrf).map { name, value in
                    (name, name == "jurisdictionCentre" ? "" : name == "venue" ? venue : value)
                }
            }
            let sent = try await Intake.post(node, cookie: wulian, Intake.multipart(fields(venue: "李沧法院")))
            #expect(sent.status == .seeOther, "\(sent.json)")
            let caseID = try #require(sent.headers[.location]?.split(separator: "/").dropFirst().first.map(String.init))
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(view["jurisdictionCentre"] == "qingdao-licang", "\(view)")

            let before = try await node.logSize()
            let unknown = try await Intake.post(node, cookie: wulian, Intake.multipart(fields(venue: "北京市朝阳区人民法院")))
            #expect(unknown.status == .unprocessableContent && (unknown.json.stringValue ?? "").contains("choose the jurisdiction centre"), "\(unknown.status)")
            #expect(try await node.logSize() == before, "nothing was written")
        }
    }
}

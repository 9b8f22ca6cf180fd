import CaseDomain
import Casework
import Foundation
import Testing

/// The lawyer roster in the pages: the centre's supervisors keep it through the same
/// commands as the API; staff read it; a form without its CSRF token or from staff writes nothing.
@Suite("The lawyer roster page")
struct RosterPageTests {
    typealias H = NodeHarness
    typealias P = StaffPagesTests

    @Test func aSupervisorListsALawyerAndTakesThemOffStaffOnlyRead() async throws {
        try await H.run { node in
            let supervisor = try await P.signIn(node, as: H.licang, staff: "chief", role: .supervisor)
            let (_, empty) = try await P.page(node, "/lawyers", cookie: supervisor)
            let csrf = try P.csrf(in: empty)
            #expect(empty.contains(#"id="list-lawyer""#) && empty.contains("律师名册"), "\(empty)")

            let listed = try await P.post(node, "/lawyers", cookie: supervisor,
                                          form: "csrf=\(csrf)&name=%E6%9D%8E%E5%BE%8B%E5%B8%88&firm=%E5%B1%B1%E4%B8%9C%E6%9F%90%E6%89%80&practiceAreas=labour%E3%80%81traffic-accident&languages=zh")
            #expect(listed.status == .seeOther && listed.headers[.location] == "/lawyers", "\(listed.status)")
            let lawyers = try await node.query(GETLawyers: H.licang)
            #expect(lawyers.count == 1 && lawyers[0]["name"] == "李律师" && lawyers[0]["practiceAreas"] == ["labour", "traffic-accident"], "\(lawyers)")
            let id = try #require(lawyers[0]["lawyerId"]?.stringValue)

            // Staff read the roster but get no forms, and their posts are refused.
            let staff = try await P.signIn(node, as: H.licang)
            let (_, read) = try await P.page(node, "/lawyers", cookie: staff)
            #expect(read.contains("李律师") && read.contains("可指派") && !read.contains(#"id="list-lawyer""#) && !read.contains("lawyer-active"))
            let before = try await node.logSize()
            let staffCSRF = try P.csrf(in: read)
            let refused = try await P.post(node, "/lawyers/\(id)/active", cookie: staff, form: "csrf=\(staffCSRF)&expectedVersion=1&active=false")
            #expect(refused.status == .forbidden, "\(refused.status)")
            let forged = try await P.post(node, "/lawyers", cookie: supervisor, form: "name=x&firm=y")
            #expect(forged.status == .forbidden, "no CSRF token: \(forged.status)")
            let blank = try await P.post(node, "/lawyers", cookie: supervisor, form: "csrf=\(csrf)&name=%20&firm=y")
            let blankPage = blank.json.stringValue ?? ""
            #expect(blank.status == .unprocessableContent && blankPage.contains(#"role="alert""#) && blankPage.contains("name"),
                    "the roster page again, saying why: \(blankPage.prefix(400))")
            for active in ["", "yes", "TRUE", "1"] {
                let garbled = try await P.post(node, "/lawyers/\(id)/active", cookie: supervisor, form: "csrf=\(csrf)&expectedVersion=1&active=\(active)")
                #expect(garbled.status == .unprocessableContent, "active=\(active): \(garbled.status)")
            }
            let missing = try await P.post(node, "/lawyers/\(id)/active", cookie: supervisor, form: "csrf=\(csrf)&expectedVersion=1")
            #expect(missing.status == .unprocessableContent, "no active: \(missing.status)")
            #expect(try await node.logSize() == before, "nothing written")

            // The supervisor takes the lawyer off new assignments, at the roster's version.
            let stale = try await P.post(node, "/lawyers/\(id)/active", cookie: supervisor, form: "csrf=\(csrf)&expectedVersion=0&active=false")
            #expect(stale.status == .conflict, "\(stale.status)")
            let off = try await P.post(node, "/lawyers/\(id)/active", cookie: supervisor, form: "csrf=\(csrf)&expectedVersion=1&active=false")
            #expect(off.status == .seeOther)
            #expect(try await node.query(GETLawyers: H.licang)[0]["active"] == false)
            let (_, after) = try await P.page(node, "/lawyers", cookie: supervisor)
            #expect(after.contains(#"data-active="false""#) && after.contains("恢复指派"))
            MarkupCheck.verify(after, page: "the roster page")
        }
    }
}

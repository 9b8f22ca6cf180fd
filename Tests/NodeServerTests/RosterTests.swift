import CaseDomain
import Casework
import Foundation
import NodeServer
import Testing

/// The lawyer roster: kept by the centre's supervisors, read with each lawyer's open cases,
/// and the only source of a lawyer at a centre that keeps one.
@Suite("The lawyer roster")
struct RosterTests {
    typealias H = NodeHarness

    static func list(_ node: H, _ name: String, firm: String = "山东某律师事务所", areas: [JSONValue] = ["traffic-accident"]) async throws -> String {
        let listed = try await node.expect(.created, .post, "/v1/lawyers", as: H.licang, role: .supervisor,
                                           ["name": .string(name), "firm": .string(firm), "practiceAreas": .array(areas), "languages": ["zh"]])
        return try #require(listed["lawyerId"]?.stringValue)
    }

    /// A case granted at Licang: at version 3, waiting for a lawyer.
    static func granted(_ node: H) async throws -> String {
        let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(idNumber: H.distinctIDNumber()))["caseId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
        try await node.expect(.ok, .post, "/v1/cases/\(caseID)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "同意"])
        return caseID
    }

    @Test func supervisorsKeepTheRosterAndStaffReadIt() async throws {
        try await H.run { node in
            let li = try await Self.list(node, "李律师")
            _ = try await Self.list(node, "王律师", areas: ["labour", "labour", "traffic-accident"])
            let roster = try await node.expect(.ok, .get, "/v1/lawyers", as: H.licang)
            guard case .array(let lawyers)? = roster["lawyers"] else { Issue.record("no lawyers: \(roster)"); return }
            #expect(lawyers.map { $0["name"]?.stringValue } == ["李律师", "王律师"] && roster["centre"] == "qingdao-licang" && roster["version"] == 2)
            #expect(lawyers[1]["practiceAreas"] == ["labour", "traffic-accident"] && lawyers[0]["openCases"] == 0 && lawyers[0]["active"] == true)
            #expect(try await node.expect(.ok, .get, "/v1/lawyers?centre=qingdao-licang", as: H.wulian)["lawyers"] == roster["lawyers"],
                    "any centre reads another's roster")
            #expect(try await node.expect(.ok, .get, "/v1/lawyers", as: H.wulian)["lawyers"] == .array([]))

            let before = try await node.logSize()
            struct Refusal { var centre: CentreID; var role: StaffRole; var path: String; var body: JSONValue; var status: UInt }
            let tooMany = JSONValue.array((0..<21).map { JSONValue.string("a\($0)") })
            let refusals: [Refusal] = [
                Refusal(centre: H.licang, role: .staff, path: "/v1/lawyers", body: ["name": "张律师", "firm": "某所"], status: 403),
                Refusal(centre: H.licang, role: .auditor, path: "/v1/lawyers", body: ["name": "张律师", "firm": "某所"], status: 403),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers", body: ["name": "  ", "firm": "某所"], status: 422),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers", body: ["name": "张律师", "firm": "某所", "practiceAreas": tooMany], status: 422),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers", body: ["name": "张律师\u{202E}", "firm": "某所"], status: 422),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers", body: ["name": "张律师"], status: 422),
                Refusal(centre: H.wulian, role: .supervisor, path: "/v1/lawyers/\(li)", body: ["active": false], status: 422),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers/\(li)", body: ["active": false, "expectedVersion": 1], status: 409),
                Refusal(centre: H.licang, role: .supervisor, path: "/v1/lawyers/not-a-lawyer", body: ["active": false], status: 422),
            ]
            for refusal in refusals {
                let answer = try await node.call(.post, refusal.path, as: refusal.centre, role: refusal.role, refusal.body)
                let status = UInt(answer.status.code)
                #expect(status == refusal.status || (refusal.status == 422 && status == 400), "\(refusal.path) \(refusal.body): \(answer.status) \(answer.json)")
            }
            #expect(try await node.logSize() == before, "nothing was written")
            #expect(try await node.query(GETLawyers: H.licang).count == 2)
            // The roster's events are read by the workflow; no projection parks them as unreadable.
            try await node.project()
            #expect(try await node.database.count("SELECT count(*)::int FROM projections.parked_events") == 0)
            let query = try await node.call(.get, "/v1/lawyers?centre=qingdao-nowhere", as: H.licang)
            #expect(query.status == .unprocessableContent && query.json["errors"]?[0]?["field"] == "centre")
        }
    }

    @Test func aCentreWithARosterAssignsFromItAndSeesEachLawyersLoad() async throws {
        try await H.run { node in
            let li = try await Self.list(node, "李律师")
            let first = try await Self.granted(node)
            let named = try await node.call(.post, "/v1/cases/\(first)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyer": "路人甲", "firm": "某所"])
            #expect(named.status == .unprocessableContent && named.json["errors"]?[0]?["field"] == "lawyerId", "\(named.json)")
            let mismatched = try await node.call(.post, "/v1/cases/\(first)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyerId": .string(li), "lawyer": "路人甲"])
            #expect(mismatched.status == .unprocessableContent)
            // A centre that does not hold the case is refused as the command is, before any roster is read.
            for path in ["lawyer", "lawyer/change"] {
                let stranger = try await node.call(.post, "/v1/cases/\(first)/\(path)", as: H.wulian,
                                                   ["expectedVersion": 3, "lawyerId": .string(li), "reason": "回避"])
                #expect(stranger.status == .forbidden && stranger.json["detail"]?.stringValue?.contains("owning centre") == true, "\(path): \(stranger.json)")
            }
            let unknown = try await node.call(.post, "/v1/cases/\(UUID().uuidString.lowercased())/lawyer", as: H.licang, ["expectedVersion": 3, "lawyerId": .string(li)])
            #expect(unknown.status == .notFound)
            try await node.expect(.ok, .post, "/v1/cases/\(first)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyerId": .string(li), "chosenByApplicant": true])
            let view = try await node.expect(.ok, .get, "/v1/cases/\(first)", as: H.licang)
            #expect(view["lawyer"] == "李律师" && view["lawyerFirm"] == "山东某律师事务所", "\(view)")
            let roster = try await node.expect(.ok, .get, "/v1/lawyers", as: H.licang)
            #expect(roster["lawyers"]?[0]?["openCases"] == 1, "\(roster)")

            // A change of lawyer picks from the roster too, with a reason.
            let wang = try await Self.list(node, "王律师")
            let unlisted = try await node.call(.post, "/v1/cases/\(first)/lawyer/change", as: H.licang,
                                               ["expectedVersion": 4, "lawyer": "路人乙", "firm": "某所", "reason": "回避"])
            #expect(unlisted.status == .unprocessableContent, "\(unlisted.json)")
            try await node.expect(.ok, .post, "/v1/cases/\(first)/lawyer/change", as: H.licang, ["expectedVersion": 4, "lawyerId": .string(wang), "reason": "回避"])
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(first)", as: H.licang)["lawyer"] == "王律师")
            try await node.expect(.ok, .post, "/v1/lawyers/\(wang)", as: H.licang, role: .supervisor, ["active": false])

            // Taken off the roster, the lawyer is assigned no more; another centre's id is not Licang's.
            try await node.expect(.ok, .post, "/v1/lawyers/\(li)", as: H.licang, role: .supervisor, ["active": false, "expectedVersion": 3])
            let second = try await Self.granted(node)
            let inactive = try await node.call(.post, "/v1/cases/\(second)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyerId": .string(li)])
            #expect(inactive.status == .unprocessableContent && inactive.json["detail"]?.stringValue?.contains("inactive") == true, "\(inactive.json)")
            // With no active lawyer left, a name and firm may be given again.
            try await node.expect(.ok, .post, "/v1/cases/\(second)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyer": "王律师", "firm": "某所"])
        }
    }
}

extension NodeHarness {
    /// The lawyers of `centre`'s roster as `GET /v1/lawyers` lists them.
    func query(GETLawyers centre: CentreID) async throws -> [JSONValue] {
        guard case .array(let lawyers)? = try await expect(.ok, .get, "/v1/lawyers?centre=\(centre.rawValue)", as: centre)["lawyers"] else { return [] }
        return lawyers
    }
}

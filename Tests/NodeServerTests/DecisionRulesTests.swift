import CaseDomain
import Casework
import NodeServer
import Testing

/// Deadlines by the deciding city's policy, objections to the justice bureau, and urgent
/// cases whose aid starts first, over HTTP.
@Suite("Deadlines, objections and urgent aid over the staff API")
struct DecisionRulesTests {
    typealias H = NodeHarness
    static let bureau = CentreID(rawValue: "qingdao-municipal")!

    /// A case applied for at Licang, which has jurisdiction, assessed complete: version 2.
    static func licangCase(_ node: H, urgent: Bool = false) async throws -> String {
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(urgent: urgent, idNumber: H.distinctIDNumber()))
        let id = try #require(created["caseId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
        return id
    }

    static func due(_ view: JSONValue, _ field: String) -> Timestamp? {
        view[field]?.stringValue.flatMap(Timestamp.init(iso8601:))
    }

    @Test func dueDatesFollowTheDecidingCitysWorkingDays() async throws {
        try await H.run { node in
            let id = try await Self.licangCase(node)
            var view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
            // Qingdao decides in 5 working days: Friday 20 Nov 10:00 → Friday 27 Nov 10:00 (China time).
            #expect(Self.due(view, "decisionDueAt") == Timestamp(iso8601: "2026-11-27T02:00:00Z"), "\(view)")
            #expect(view["number"] == .null && view["lawyer"] == .null, "what a case does not have yet is null, not missing: \(view)")
            try await node.expect(.ok, .post, "/v1/cases/\(id)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "ok"])
            view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
            #expect(Self.due(view, "lawyerDueAt") == Timestamp(iso8601: "2026-11-25T02:00:00Z"), "a lawyer within 3 working days: \(view)")
            #expect(view["decisionDueAt"] == .null, "no decision is due once decided")
        }
    }

    @Test func theJusticeBureauMayOrderAidAfterARefusal() async throws {
        try await H.run { node in
            let id = try await Self.licangCase(node)
            let path = "/v1/cases/\(id)"
            try await node.expect(.ok, .post, "\(path)/decision", as: H.licang, ["expectedVersion": 2, "granted": false, "reason": "不符合经济困难标准"])
            try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "\(path)/objection", as: H.licang, ["expectedVersion": 3, "reason": "申请人不服"])
            try await node.expect(.ok, .post, "\(path)/objection", as: Self.bureau, role: .supervisor, ["expectedVersion": 3, "reason": "申请人不服"])
            try await node.expect(.ok, .get, path, as: Self.bureau, role: .supervisor)
            try await node.expect(.ok, .post, "\(path)/objection/ruling", as: Self.bureau, role: .supervisor,
                                  ["expectedVersion": 4, "orderAid": true, "reason": "符合条件, 责令提供援助"])
            try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "\(path)/decision", as: H.licang,
                                           ["expectedVersion": 5, "granted": false, "reason": "再次拒绝"])
            let grant = try await node.expect(.ok, .post, "\(path)/decision", as: H.licang, ["expectedVersion": 5, "granted": true, "reason": "依决定提供"])
            #expect(grant["number"] == "LICANG-2026-000001")
        }
    }

    @Test func anUrgentCaseGetsItsLawyerBeforeTheDecision() async throws {
        try await H.run { node in
            let plain = try await Self.licangCase(node)
            try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(plain)/advance-aid", as: H.licang,
                                           ["expectedVersion": 2, "reason": "开庭在即"])
            let urgent = try await Self.licangCase(node, urgent: true)
            let path = "/v1/cases/\(urgent)"
            try await node.expect(.ok, .post, "\(path)/advance-aid", as: H.licang, ["expectedVersion": 2, "reason": "三日后开庭"])
            try await node.expect(.ok, .post, "\(path)/lawyer", as: H.licang, ["expectedVersion": 3, "lawyer": "李律师", "firm": "青岛某所"])
            var view = try await node.expect(.ok, .get, path, as: H.licang)
            #expect(view["phase"] == "ready-for-decision" && view["advanceAid"] == true && view["lawyer"] == "李律师")
            try await node.expect(.ok, .post, "\(path)/decision", as: H.licang, ["expectedVersion": 4, "granted": true, "reason": "补办手续后批准"])
            view = try await node.expect(.ok, .get, path, as: H.licang)
            #expect(view["phase"] == "lawyer-assigned" && view["lawyerDueAt"] == .null)
        }
    }
}

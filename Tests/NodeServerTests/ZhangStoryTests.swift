import CaseDomain
import Casework
import NodeServer
import Testing

/// The story of DOMAIN.md over HTTP, on one node serving all three cities' centres.
@Suite("The Zhang story over the staff API")
struct ZhangStoryTests {
    typealias H = NodeHarness

    @Test func zhangsCaseTravelsFromWulianToLicangWithAnInvestigationAtHuancui() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let caseID = try #require(created["caseId"]?.stringValue)
            #expect(created["version"] == 1)
            let path = "/v1/cases/\(caseID)"
            let c = caseID

            /// Each centre's inbox holds exactly `expected` (the others nothing).
            func inboxes(_ expected: [CentreID: [String]], sourceLocation: SourceLocation = #_sourceLocation) async throws {
                for centre in [H.wulian, H.licang, H.huancui] {
                    let items = try await node.inbox(centre)
                    #expect(items == (expected[centre] ?? []), "inbox of \(centre)", sourceLocation: sourceLocation)
                }
            }
            try await inboxes([H.wulian: ["review@\(c)"]])

            func step(_ action: String, as centre: CentreID, _ body: JSONValue, expectVersion version: Int64) async throws -> JSONValue {
                var body = body
                if case .object(var fields) = body { fields["expectedVersion"] = .integer(version - 1); body = .object(fields) }
                let answer = try await node.expect(.ok, .post, "\(path)/\(action)", as: centre, body)
                #expect(answer["version"]?.integerValue == version, "\(action) should bring the case to version \(version)")
                return answer
            }

            _ = try await step("assessment", as: H.wulian, ["eligible": true, "reason": "符合条件, 农民工免审", "missing": []], expectVersion: 2)
            try await inboxes([H.wulian: ["decide@\(c)"]])
            _ = try await step("transfer", as: H.wulian, ["toCentre": "qingdao-licang", "reason": "法院在李沧"], expectVersion: 3)
            try await inboxes([H.licang: ["incoming-transfer@\(c)"]])
            _ = try await step("transfer/accept", as: H.licang, [:], expectVersion: 4)
            try await inboxes([H.licang: ["decide@\(c)"]])
            let grant = try await step("decision", as: H.licang, ["granted": true, "reason": "同意提供法律援助"], expectVersion: 5)
            #expect(grant["number"] == "LICANG-2026-000001")
            try await inboxes([H.licang: ["assign-lawyer@\(c)"]])
            _ = try await step("lawyer", as: H.licang, ["lawyer": "李律师", "firm": "山东某律师事务所", "chosenByApplicant": false], expectVersion: 6)
            try await inboxes([:])

            let requested = try await node.expect(.created, .post, "\(path)/investigations", as: H.licang,
                                                  ["toCentre": "weihai-huancui", "questions": ["事故现场情况", "证人证言"], "dueDays": 10])
            let i = try #require(requested["investigationId"]?.stringValue)
            let investigation = "/v1/investigations/\(i)"
            // Licang waits for the findings (its open request shows overdue there too).
            try await inboxes([H.huancui: ["incoming-investigation@\(i)"], H.licang: ["awaiting-findings@\(i)"]])
            let accepted = try await node.expect(.ok, .post, "\(investigation)/accept", as: H.huancui, ["expectedVersion": 1])
            #expect(accepted["number"] == "HUANCUI-XC-2026-000001")
            try await inboxes([H.huancui: ["investigation-to-report@\(i)"], H.licang: ["awaiting-findings@\(i)"]])
            try await node.expect(.ok, .post, "\(investigation)/assign", as: H.huancui, ["expectedVersion": 2, "lawyer": "王律师", "firm": "威海某律所"])
            try await inboxes([H.huancui: ["investigation-to-report@\(i)"], H.licang: ["awaiting-findings@\(i)"]])
            try await node.expect(.ok, .post, "\(investigation)/report", as: H.huancui, ["expectedVersion": 3, "findings": "现场照片与证言已取得"])
            try await inboxes([H.licang: ["investigation-findings@\(i)"]])
            try await node.expect(.ok, .post, "\(investigation)/acknowledge", as: H.licang, ["expectedVersion": 4])
            try await inboxes([:])

            _ = try await step("originals-collected", as: H.licang, [:], expectVersion: 7)
            _ = try await step("close", as: H.licang, ["outcome": "调解结案", "recoveredAmount": 12_000_000], expectVersion: 8)
            _ = try await step("archive", as: H.licang, [:], expectVersion: 9)
            _ = try await step("follow-up", as: H.licang, ["satisfied": true, "note": "满意"], expectVersion: 10)
            try await inboxes([:])

            let view = try await node.expect(.ok, .get, path, as: H.licang)
            #expect(view["phase"] == "archived")
            #expect(view["number"] == "LICANG-2026-000001")
            #expect(view["owner"] == "qingdao-licang")
            #expect(view["subsidyPaidBy"] == "qingdao", "the aided location pays the subsidy")
            #expect(view["applicant"]?["idNumber"] == "3711**********1234", "the view masks the ID number")
            #expect(view["investigations"]?[0]?["phase"] == "acknowledged")

            let timeline = try await node.expect(.ok, .get, "\(path)/timeline", as: H.wulian)
            guard case .array(let events)? = timeline["events"] else { Issue.record("no events in \(timeline)"); return }
            let steps = events.map { "\($0["type"]?.stringValue ?? "?")@\($0["centre"]?.stringValue ?? "-")" }
            #expect(steps == [
                "ApplicationSubmitted@rizhao-wulian", "ApplicationAssessed@rizhao-wulian", "TransferRequested@rizhao-wulian",
                "TransferAccepted@qingdao-licang", "AidDecided@qingdao-licang", "LawyerAssigned@qingdao-licang",
                "InvestigationRequested@qingdao-licang", "InvestigationAccepted@weihai-huancui",
                "InvestigationLawyerAssigned@weihai-huancui", "InvestigationReported@weihai-huancui",
                "InvestigationAcknowledged@qingdao-licang", "OriginalsCollected@qingdao-licang", "CaseClosed@qingdao-licang",
                "CaseArchived@qingdao-licang", "FollowUpRecorded@qingdao-licang",
            ])
            #expect(events.allSatisfy { $0["node"] == "qingdao" && $0["hash"]?.stringValue?.count == 64 })
            #expect(events.first?["body"]?["applicant"]?["phone"] == "138****0000", "the timeline masks personal data")
        }
    }
}

extension JSONValue {
    /// The element at `index` of an array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

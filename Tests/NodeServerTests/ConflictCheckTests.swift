import CaseDomain
import EventLog
import Foundation
import TestSupport
import Testing

/// The conflict and duplicate check over HTTP: findings name the other case and its
/// centre, never a person; an acceptance or a decision with findings needs a reason, which
/// is recorded sealed.
@Suite("The conflict and duplicate check")
struct ConflictCheckTests {
    typealias H = NodeHarness
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!

    /// An application whose applicant and adverse party are given.
    static func application(idNumber: String, adverse: (String, String)? = nil) -> JSONValue {
        guard case .object(var fields) = H.application(idNumber: idNumber), case .object(var matter)? = fields["matter"] else { return .null }
        if let (name, id) = adverse { matter["adverseParty"] = ["name": .string(name), "id": .string(id)] }
        fields["matter"] = .object(matter)
        return .object(fields)
    }

    static func findings(_ answer: JSONValue) -> [String] {
        guard case .array(let items)? = answer["findings"] else { return [] }
        return items.map { "\($0["kind"]?.stringValue ?? "?")@\($0["caseId"]?.stringValue ?? "?")@\($0["centre"]?.stringValue ?? "-")" }
    }

    @Test func anAdversePartyWhoWasAidedIsFoundAndGoingAheadNeedsAReason() async throws {
        try await H.run { node in
            // Li (3702…5678) was aided at Licang; now a worker applies against Li.
            let aided = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(idNumber: "370202198501015678"))["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(aided)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(aided)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "同意"])
            let against = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang,
                                                             Self.application(idNumber: "370202199001011234", adverse: ("李某", "370202198501015678")))["caseId"]?.stringValue)
            let checks = try await node.expect(.ok, .get, "/v1/cases/\(against)/checks", as: H.licang)
            #expect(checks["checked"] == true && checks["scope"] != nil && Self.findings(checks) == ["adverse-party-aided@\(aided)@qingdao-licang"], "\(checks)")
            let text = String(describing: checks)
            #expect(!text.contains("370202198501015678") && !text.contains("李某"), "a finding names a case, never a person")
            let view = try await node.expect(.ok, .get, "/v1/cases/\(against)", as: H.licang)
            #expect(view["matter"]?["adverseParty"]?["name"] == "李某" && view["matter"]?["adverseParty"]?["id"]?.stringValue?.contains("198501015678") == false,
                    "the case's centre reads the party, its ID masked: \(String(describing: view["matter"]))")
            // A centre asked only to investigate learns nothing of the applicant's other cases.
            try await node.expect(.ok, .post, "/v1/cases/\(against)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.created, .post, "/v1/cases/\(against)/investigations", as: H.licang,
                                  ["toCentre": "weihai-huancui", "questions": ["工地情况"], "dueDays": 5])
            #expect(try await node.call(.get, "/v1/cases/\(against)/checks", as: H.huancui).status == .forbidden)
            // A stranger's decision is refused as the domain refuses it, before the check speaks.
            let stranger = try await node.call(.post, "/v1/cases/\(against)/decision", as: H.wulian, ["expectedVersion": 2, "granted": true, "reason": "x"])
            #expect(stranger.status == .forbidden && stranger.json["detail"]?.stringValue?.contains(aided) == false, "\(stranger.json)")

            let before = try await node.logSize()
            for body: JSONValue in [["expectedVersion": 2, "granted": true, "reason": "同意"], ["expectedVersion": 2, "granted": true, "reason": "同意", "conflictReason": " "]] {
                let refused = try await node.call(.post, "/v1/cases/\(against)/decision", as: H.licang, body)
                #expect(refused.status == .unprocessableContent && refused.json["errors"]?[0]?["field"] == "conflictReason", "\(refused.json)")
                #expect(refused.json["detail"]?.stringValue?.contains(aided) == true, "the refusal names what was found: \(refused.json)")
            }
            #expect(try await node.logSize() == before, "nothing was written")
            try await node.expect(.ok, .post, "/v1/cases/\(against)/decision", as: H.licang,
                                  ["expectedVersion": 2, "granted": true, "reason": "同意", "conflictReason": "另案已结，由不同律师承办"])
            // A refusal needs no reason to refuse (the conflict may be why).
            let refusedCase = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang,
                                                                 Self.application(idNumber: "370202199201011111", adverse: ("李某", "370202198501015678")))["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(refusedCase)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(refusedCase)/decision", as: H.licang, ["expectedVersion": 2, "granted": false, "reason": "利益冲突"])
            let decided = try await node.database.newestEnvelope(ofType: "AidDecided")
            #expect(!decided.contains("另案已结"), "the reason is sealed: \(decided)")
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(against)/timeline", as: H.licang)
            guard case .array(let events)? = timeline["events"] else { Issue.record("no timeline"); return }
            #expect(events.first { $0["type"] == "AidDecided" }?["body"]?["conflictReason"] == "另案已结，由不同律师承办", "and read back by the case's centres")

            // Seen from the aided case: its applicant is now the adverse party of an aided case.
            #expect(Self.findings(try await node.expect(.ok, .get, "/v1/cases/\(aided)/checks", as: H.licang))
                    == ["applicant-is-adverse-party@\(against)@qingdao-licang"])
            // A centre that takes no part sees no findings, nor whether the case exists.
            #expect(try await node.call(.get, "/v1/cases/\(against)/checks", as: H.wulian).status == .forbidden)
            #expect(try await node.call(.get, "/v1/cases/not-a-uuid/checks", as: H.licang).status == .notFound)
            #expect(try await node.call(.get, "/v1/cases/\(UUID().uuidString.lowercased())/checks", as: H.licang).status == .notFound)
        }
    }

    @Test func aCaseWithoutFindingsIsAcceptedAndDecidedAsBefore() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())["caseId"]?.stringValue)
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(caseID)/checks", as: H.wulian)["findings"] == .array([]))
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"])
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            let accepted = try await node.database.newestEnvelope(ofType: "TransferAccepted")
            #expect(!accepted.contains("conflictReason") && !accepted.contains("\"box\""), "nothing to seal: \(accepted)")
        }
    }

    /// The issue's check: one applicant applies at Rizhao and at Qingdao; each node finds the
    /// other's case, and the transfer is accepted only with a reason.
    @Test func aDuplicateApplicationAtRizhaoAndQingdaoIsFoundFromBothSides() async throws {
        try await F.run(cities: ["rizhao", "qingdao"]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"]
            let (_, first) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, H.application())
            let (_, second) = try await federation.call(qingdao, "POST", "/v1/cases", as: Self.licang, H.application())
            let atRizhao = try #require(first["caseId"]?.stringValue), atQingdao = try #require(second["caseId"]?.stringValue)
            try await F.waitUntil("each node finds the other's application") {
                let (_, fromRizhao) = try await federation.call(rizhao, "GET", "/v1/cases/\(atRizhao)/checks", as: Self.wulian)
                let (_, fromQingdao) = try await federation.call(qingdao, "GET", "/v1/cases/\(atQingdao)/checks", as: Self.licang)
                return fromRizhao["scope"] == "federation" && Self.findings(fromRizhao) == ["duplicate-application@\(atQingdao)@qingdao-licang"]
                    && Self.findings(fromQingdao) == ["duplicate-application@\(atRizhao)@rizhao-wulian"]
            }
            try await federation.call(rizhao, "POST", "/v1/cases/\(atRizhao)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await federation.call(rizhao, "POST", "/v1/cases/\(atRizhao)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"])
            try await F.waitUntil("the transfer and its key reached Qingdao") {
                let (_, view) = try await federation.call(qingdao, "GET", "/v1/cases/\(atRizhao)", as: Self.licang)
                return view["phase"] == "transfer-pending" && view["applicant"]?["name"] == "张某"
            }
            let (refused, problem) = try await federation.call(qingdao, "POST", "/v1/cases/\(atRizhao)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
            #expect(refused == 422 && problem["detail"]?.stringValue?.contains(atQingdao) == true, "\(problem)")
            let (accepted, answer) = try await federation.call(qingdao, "POST", "/v1/cases/\(atRizhao)/transfer/accept", as: Self.licang,
                                                               ["expectedVersion": 3, "conflictReason": "同一申请人在本中心另有申请，合并办理"])
            #expect(accepted == 200, "\(answer)")
        }
    }
}

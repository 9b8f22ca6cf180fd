import CaseDomain
import Casework
import Foundation
import Hummingbird
@testable import NodeServer
import TestSupport
import Testing

/// A pending transfer answered three ways: accepted, returned with a coded reason, or
/// cancelled by its sender; whoever comes second is told which answer came first.
@Suite("Transfer cancel and coded return")
struct TransferCancelTests {
    typealias H = NodeHarness

    /// A case at Wulian, assessed and sent to Licang: at version 3.
    static func pendingTransfer(_ node: H) async throws -> String {
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
        let caseID = try #require(created["caseId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
        try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
        return caseID
    }

    @Test func theSenderCancelsAPendingTransferAndKeepsTheCase() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            let path = "/v1/cases/\(caseID)/transfer/cancel"
            let stranger = try await node.call(.post, path, as: H.huancui, ["expectedVersion": 3, "reason": "误转"])
            #expect(stranger.status == .forbidden, "\(stranger.json)")
            let target = try await node.call(.post, path, as: H.licang, ["expectedVersion": 3, "reason": "误转"])
            #expect(target.status == .forbidden, "only the sender cancels: \(target.json)")
            let empty = try await node.call(.post, path, as: H.wulian, ["expectedVersion": 3, "reason": "  "])
            #expect(empty.status == .unprocessableContent && empty.json["errors"]?[0]?["field"] == "reason", "\(empty.json)")
            #expect(try await node.logSize() == 3, "a refused cancel writes nothing")

            let cancelled = try await node.expect(.ok, .post, path, as: H.wulian, ["expectedVersion": 3, "reason": "误转，撤回"])
            #expect(cancelled["version"] == 4)
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(view["phase"] == "ready-for-decision" && view["owner"] == "rizhao-wulian", "\(view)")
            #expect(try await node.inbox(H.licang).isEmpty, "the incoming transfer left Licang's inbox")
            #expect(try await node.inbox(H.wulian) == ["decide@\(caseID)"], "Wulian decides or sends it elsewhere")
            // The event is the target's record (the one writer), naming who asked.
            let (origin, actorCentre, body) = try await node.database.lastEvent()
            #expect(origin == "qingdao" && actorCentre == nil && body.contains("rizhao-wulian"), "\(origin) \(String(describing: actorCentre)) \(body)")

            // Licang, reading version 3 before the cancel, is told the transfer was cancelled.
            let late = try await node.call(.post, "/v1/cases/\(caseID)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            #expect(late.status == .conflict && late.json["detail"]?.stringValue?.contains("cancelled by the sending centre rizhao-wulian") == true, "\(late.json)")
            #expect(late.json["currentVersion"] == 4)
        }
    }

    /// An incoming transfer has a legal clock like every other item: the receiving city's
    /// days to answer it (three by default).
    @Test func anIncomingTransferIsDueByTheReceivingCitysPolicy() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            try await node.project()
            let page = try await node.expect(.ok, .get, "/v1/inbox", as: H.licang)
            let item = page["items"]?[0]
            let policy = try #require(node.server.configuration.federation.policies[H.licang.node])
            let expected = policy.deadline(after: try #require(item?["receivedAt"]?.stringValue.flatMap(Timestamp.init(iso8601:))), days: policy.transferAnswer)
            #expect(item?["kind"] == "incoming-transfer" && item?["caseId"]?.stringValue == caseID, "\(page)")
            #expect(item?["dueAt"]?.stringValue == expected.description, "\(String(describing: item))")
        }
    }

    @Test func aCancelAfterTheAcceptIsToldItWasAccepted() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            let late = try await node.call(.post, "/v1/cases/\(caseID)/transfer/cancel", as: H.wulian, ["expectedVersion": 3, "reason": "撤回"])
            #expect(late.status == .conflict && late.json["detail"]?.stringValue?.contains("accepted by qingdao-licang") == true, "\(late.json)")
            let again = try await node.call(.post, "/v1/cases/\(caseID)/transfer/cancel", as: H.wulian, ["expectedVersion": 4, "reason": "撤回"])
            #expect(again.status == .conflict && again.json["type"]?.stringValue?.hasSuffix("invalid-transition") == true, "\(again.json)")
            #expect(try await node.logSize() == 4)
        }
    }

    @Test func aReturnCarriesItsCodeAndAnUnknownCodeIsRefused() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            let path = "/v1/cases/\(caseID)/transfer/return"
            let bogus = try await node.call(.post, path, as: H.licang, ["expectedVersion": 3, "reasonCode": "because", "reason": "不属本中心管辖"])
            #expect(bogus.status.code == 400 || bogus.status == .unprocessableContent, "\(bogus.json)")
            #expect(bogus.json["detail"]?.stringValue?.contains("reasonCode") == true, "the refusal names the field: \(bogus.json)")
            #expect(try await node.logSize() == 3)
            try await node.expect(.ok, .post, path, as: H.licang, ["expectedVersion": 3, "reasonCode": "wrong-jurisdiction", "reason": "不属本中心管辖"])
            let (_, _, body) = try await node.database.lastEvent()
            #expect(body.contains(#""reasonCode":"wrong-jurisdiction""#), "\(body)")
            // A return without a code, as DESIGN.md's contract has it, is recorded as `other`.
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer", as: H.wulian, ["expectedVersion": 4, "toCentre": "qingdao-licang", "reason": "再转"])
            try await node.expect(.ok, .post, path, as: H.licang, ["expectedVersion": 5, "reason": "仍不属管辖"])
            #expect(try await node.database.lastEvent().body.contains(#""reasonCode":"other""#))
        }
    }

    @Test func aTargetNodesAnswerIsReadAsHostileInput() throws {
        let node = NodeID(rawValue: "qingdao")!
        func problem(_ status: UInt, _ text: String) -> Problem? {
            do { _ = try WriterRelay.result(of: status, Array(text.utf8), from: node, recordID: "c", waiting: "the transfer is pending"); return nil } catch {
                return error as? Problem
            }
        }
        #expect(try WriterRelay.result(of: 200, Array(#"{"caseId":"c","version":4}"#.utf8), from: node, recordID: "c", waiting: "the transfer is pending").version == 4)
        #expect(problem(200, #"{"version":-1}"#)?.kind == .unavailable, "a version no stream has")
        #expect(problem(200, "not json")?.kind == .unavailable)
        #expect(problem(500, #"{"type":"https://tongban.example/problems/conflict","detail":"x"}"#)?.kind == .unavailable, "a 5xx is the node's failure")
        #expect(problem(409, #"{"type":"https://evil.example/problems/conflict","detail":"x"}"#)?.kind == .unavailable, "a type not ours")
        let relayed = problem(409, #"{"type":"https://tongban.example/problems/conflict","detail":"\#(String(repeating: "长", count: 5000))","currentVersion":4}"#)
        #expect(relayed?.kind == .conflict && relayed?.currentVersion == 4 && (relayed?.detail.count ?? 0) <= 1010, "bounded, under its own kind")
    }
}

extension TestDatabase {
    /// The newest case event's origin node, acting centre and envelope text.
    func lastEvent() async throws -> (origin: String, actorCentre: String?, body: String) {
        let rows = try await superuser.query("SELECT origin_node, actor_centre, convert_from(envelope, 'UTF8') FROM events WHERE stream_id LIKE 'case-%' ORDER BY global_position DESC LIMIT 1")
        for try await (origin, centre, body) in rows.decode((String, String?, String).self) { return (origin, centre, body) }
        throw CancellationError()
    }
}

import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import NodeServer
import TestSupport
import Testing

/// Qingdao changes its event key in its own chain and restarts with the new key: every node
/// follows the change, imports and verifies its old and new events, takes its sync requests
/// and cosigns its checkpoints.
@Suite("Key rotation across three nodes", .serialized)
struct KeyRotationAcrossNodesTests {
    typealias F = FederationHarness
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let qingdaoID = NodeID(rawValue: "qingdao")!

    @Test func afterQingdaoRotatesItsKeyEveryNodeVerifiesItsOldAndNewEvents() async throws {
        try await F.run { federation in
            let qingdao = federation["qingdao"]
            @Sendable func submit(_ node: F.Node, as centre: CentreID) async throws {
                let (status, answer) = try await federation.call(node, "POST", "/v1/cases", as: centre, NodeHarness.application(jurisdiction: centre))
                #expect(status == 201, "\(answer)")
            }
            /// Every node holds the same events, among them qingdao's up to `seq` and (if asked) one of rizhao's.
            @Sendable func converged(qingdaoUpTo seq: Int64, rizhao: Bool = false) async throws -> Bool {
                let logs = try await federation.logs()
                guard Set(logs.values).count == 1, let log = logs.values.first else { return false }
                return log.contains { $0.hasPrefix("qingdao/\(seq)/") } && (!rizhao || log.contains { $0.hasPrefix("rizhao/") })
            }
            try await submit(qingdao, as: Self.licang)
            let before = Int64(try await qingdao.database.count("SELECT max(origin_seq) FROM events WHERE origin_node = 'qingdao'"))
            try await F.waitUntil("every node holds qingdao's first case") { try await converged(qingdaoUpTo: before) }

            // The operator's part (tongban keys rotate): the change, signed by the old key, with the node stopped.
            try await qingdao.process.stop()
            let next = NodeSigningKey.generate(for: Self.qingdaoID)
            let appender = EventAppender(client: qingdao.database.service, signingKey: TestDatabase.key("qingdao"), keyring: TestDatabase.keyring)
            let change = try await appender.append(to: NodeKeyChange.stream(of: Self.qingdaoID), expectedVersion: 0,
                                                   events: [NodeKeyChange.event(newKey: next.publicKey)])
            let changeSeq = try #require(change.events.first?.envelope.originSeq)
            await federation.signingKeys.use(next)
            try await qingdao.process.start()
            try await federation.waitUntilReady(qingdao)

            // New events under the new key, and one of Rizhao's that Qingdao must pull with a request signed by it.
            try await submit(qingdao, as: Self.licang)
            try await submit(federation["rizhao"], as: Self.wulian)
            let after = Int64(try await qingdao.database.count("SELECT max(origin_seq) FROM events WHERE origin_node = 'qingdao'"))
            #expect(after > changeSeq)
            try await F.waitUntil("the three logs are identical after the rotation") { try await converged(qingdaoUpTo: after, rizhao: true) }
            for node in federation.nodes.values {
                let report = try await ChainVerifier(client: node.database.superuser, keyring: TestDatabase.keyring).verify()
                #expect(report.isIntact, "\(node.id): \(report.problems)")
                #expect((report.origins[Self.qingdaoID]?.headSeq ?? 0) > changeSeq, "\(node.id) holds qingdao's events after the change")
                #expect(try await node.database.count("SELECT count(*) FROM events WHERE quarantine_reason IS NOT NULL") == 0, "\(node.id)")
            }
            let head = try await qingdao.database.count("SELECT max(origin_seq) FROM events WHERE origin_node = 'qingdao'")
            try await F.waitUntil("rizhao and weihai cosign qingdao's checkpoint signed by the new key", seconds: 90) {
                try await qingdao.database.count("""
                    SELECT count(DISTINCT witness) FROM checkpoint_cosignatures WHERE origin = 'qingdao' AND origin_seq = \(head)
                    """) == 2
            }
        }
    }
}

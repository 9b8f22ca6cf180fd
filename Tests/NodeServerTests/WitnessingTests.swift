import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import NodeServer
import PostgresNIO
import TestSupport
import Testing

/// Each node signs checkpoints of its own chain; its peers check them against the events they
/// hold, countersign them and pass them on with their pull answers, so that a deleted
/// newest event or an origin telling two peers two histories can be shown.
@Suite("Cosigned checkpoints across three nodes", .serialized)
struct WitnessingTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let rizhao = NodeID(rawValue: "rizhao")!

    static func count(_ node: F.Node, _ sql: String) async throws -> Int {
        try await node.database.count(sql)
    }

    static func audit(_ node: F.Node, external: [SignedCheckpoint] = []) async throws -> CheckpointAudit.Report {
        try await CheckpointAudit(client: node.database.superuser, keyring: TestDatabase.keyring).audit(external: external)
    }

    @Test func aNodesCheckpointIsCosignedByEveryPeerAndTheCosignaturesComeBack() async throws {
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            for _ in 0..<3 {
                let (status, answer) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
                #expect(status == 201, "\(answer)")
            }
            // The node's own checkpoint service signs within its interval; the peers confirm it
            // when it comes with a pull answer and pass their cosignatures back the same way.
            try await F.waitUntil("rizhao holds its checkpoint of seq 3 cosigned by qingdao and weihai", seconds: 90) {
                try await Self.count(rizhao, """
                    SELECT count(DISTINCT witness) FROM checkpoint_cosignatures WHERE origin = 'rizhao' AND origin_seq = 3 AND witness IN ('qingdao', 'weihai')
                    """) == 2
            }
            for node in [qingdao, weihai] {
                #expect(try await Self.count(node, "SELECT count(*) FROM checkpoints WHERE origin = 'rizhao' AND origin_seq = 3 AND confirmed") == 1)
            }
            for node in [rizhao, qingdao, weihai] {
                let report = try await Self.audit(node)
                #expect(report.isIntact, "\(node.id): \(report.findings)")
                #expect(report.witnessed[Self.rizhao]?.seq == 3, "\(node.id)")
            }
        }
    }

    /// An origin that signs one checkpoint for one peer and a conflicting one for another is
    /// caught once the two peers exchange what they saw, and verify names both checkpoints.
    @Test func anOriginThatToldTwoPeersTwoHistoriesIsReportedAsEquivocating() async throws {
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let (status, answer) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
            #expect(status == 201, "\(answer)")
            try await F.waitUntil("the case reaches qingdao and weihai") {
                let atQingdao = try await Self.count(qingdao, "SELECT count(*) FROM events WHERE origin_node = 'rizhao'")
                let atWeihai = try await Self.count(weihai, "SELECT count(*) FROM events WHERE origin_node = 'rizhao'")
                return atQingdao == 1 && atWeihai == 1
            }
            // Rizhao's key signs a second history of its seq 2 (a fork it tells weihai only) and the
            // true one it tells qingdao: what a node with two databases behind one key would send.
            let key = TestDatabase.key("rizhao"), now = Timestamp(Date())
            let told = try SignedCheckpoint.sign(seq: 2, hash: EventHash(of: Data("history A".utf8)), at: now, with: key)
            let other = try SignedCheckpoint.sign(seq: 2, hash: EventHash(of: Data("history B".utf8)), at: now, with: key)
            let store = { (node: F.Node) in CheckpointStore(client: node.database.service, key: TestDatabase.key(node.id.rawValue), keyring: TestDatabase.keyring) }
            _ = try await store(qingdao).receive([told], from: Self.rizhao)
            _ = try await store(weihai).receive([other], from: Self.rizhao)
            try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())

            // Qingdao and weihai pull from each other: each now holds both checkpoints of seq 2.
            for node in [qingdao, weihai] {
                try await F.waitUntil("\(node.id) holds both of rizhao's checkpoints of seq 2", seconds: 90) {
                    try await Self.count(node, "SELECT count(*) FROM checkpoints WHERE origin = 'rizhao' AND origin_seq = 2") >= 2
                }
                let report = try await Self.audit(node)
                let equivocation = try #require(report.findings.first { $0.kind == .equivocation }, "\(node.id): \(report.findings)")
                #expect(equivocation.origin == Self.rizhao)
                // Rizhao's own node signs its true seq 2 as well: of the three checkpoints any two
                // conflict, and verify names two of them, a forged one among them.
                let forged = [told, other].filter { equivocation.detail.contains(String($0.hash.hex.prefix(16))) }
                #expect(!forged.isEmpty && equivocation.detail.components(separatedBy: "hash ").count - 1 == 2,
                        "\(node.id) names two checkpoints, a forged one among them: \(equivocation)")
            }
        }
    }
}

import CaseDomain
import EventLog
@testable import Federation
import Foundation
import Testing

/// A pull answer's checkpoints grow with the origins, not with origins times witnesses: each
/// travels with at most ``CheckpointStore/maximumCosignaturesTold`` cosignatures, the
/// serving node's own first.
@Suite("Checkpoint gossip stays bounded in a large federation")
struct CheckpointGossipTests {
    @Test func aCheckpointIsToldWithItsServersCosignatureAndAtMostSevenOthers() throws {
        let origin = NodeSigningKey.generate(for: NodeID(rawValue: "city001")!)
        let hash = try #require(EventHash(hex: String(repeating: "ab", count: 32)))
        var checkpoint = try SignedCheckpoint.sign(seq: 7, hash: hash, at: Timestamp(Date()), with: origin)
        let witnesses = (2...40).map { NodeSigningKey.generate(for: NodeID(rawValue: "city" + String(format: "%03d", $0))!) }
        for witness in witnesses { checkpoint = try checkpoint.cosigned(with: witness) }
        #expect(checkpoint.cosignatures.count == 39)

        let server = NodeID(rawValue: "city033")!
        let told = CheckpointStore.boundedCosignatures(of: checkpoint, keeping: server)
        #expect(told.count == CheckpointStore.maximumCosignaturesTold && CheckpointStore.maximumCosignaturesTold == 8)
        #expect(told[server] == checkpoint.cosignatures[server], "the serving node's own cosignature always travels")
        #expect(Set(told.keys) == Set(["city033", "city002", "city003", "city004", "city005", "city006", "city007", "city008"].map { NodeID(rawValue: $0)! }))
        #expect(told.allSatisfy { checkpoint.cosignatures[$0.key] == $0.value }, "each told cosignature is the one held")

        var few = checkpoint
        few.cosignatures = Dictionary(uniqueKeysWithValues: checkpoint.cosignatures.prefix(3).map { ($0.key, $0.value) })
        #expect(CheckpointStore.boundedCosignatures(of: few, keeping: server) == few.cosignatures, "a checkpoint with few cosignatures travels whole")
    }
}

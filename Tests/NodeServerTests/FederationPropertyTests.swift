import Foundation
import TestSupport
import Testing

/// Issue 13's property: whatever mix of valid commands and hostile input three city nodes
/// take, every node stays up, every projection catches up with nothing parked, every case
/// view is the domain's fold of its stream on every node, and a replay equals live.
///
/// The mix is drawn from a seed, printed with every failure; `TONGBAN_PROPERTY_SEED=<seed>`
/// replays it (the same commands in the same order; ids and clocks differ) and
/// `TONGBAN_PROPERTY_STEPS` changes the number of steps (default 100).
@Suite("Property: three nodes under random commands and hostile input converge", .serialized)
struct FederationPropertyTests {
    static let steps = ProcessInfo.processInfo.environment["TONGBAN_PROPERTY_STEPS"].flatMap(Int.init) ?? 100

    @Test func randomCommandsAndHostileInputAcrossThreeNodesConverge() async throws {
        let seed = SeededRandom.seed(from: "TONGBAN_PROPERTY_SEED")
        print("FederationPropertyTests: seed \(seed), \(Self.steps) steps (replay with TONGBAN_PROPERTY_SEED=\(seed))")
        try await FederationHarness.run { federation in
            var workload = FederationWorkload(federation: federation, seed: seed)
            for step in 0..<Self.steps { try await workload.step(step) }
            let accepted = workload.accepted.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }
            let refused = workload.refusals.sorted { $0.key < $1.key }.map { "\($0.key): " + $0.value.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") }
            print("FederationPropertyTests: seed \(seed): accepted \(accepted.joined(separator: ", ")); refused \(refused.joined(separator: "; "))")
            #expect(workload.accepted.values.reduce(0, +) > Self.steps / 3, "seed \(seed): the workload should mostly move records on")
            try await federation.expectConverged(cases: workload.caseIDs, context: "seed \(seed) (TONGBAN_PROPERTY_SEED=\(seed))")
        }
    }
}

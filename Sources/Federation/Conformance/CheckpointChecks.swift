import CaseDomain
import EventLog
import Foundation

/// The check of the checkpoints a pull answer carries (``SignedCheckpoint``): each signed by
/// its origin's key, each cosignature by its witness's, each agreeing with the event the
/// peer serves at that origin and sequence. A peer whose own chain holds events must send a
/// checkpoint of it: a node signs one at most ``CheckpointService/defaultInterval`` after
/// its chain grows (the federation's bound is 10 s), so the check asks again for up to
/// `wait` before it fails. A peer with an empty chain may send none.
struct CheckpointChecks: Sendable {
    let peer: ConformancePeer
    let walk: FullPull
    let wait: Duration
    /// At most this many (origin, sequence) pairs are compared with the events served (one
    /// small pull each); the rest are checked for their signatures only.
    static let maximumCompared = 64

    func run() async -> ConformanceResult {
        if let stopped = walk.stopped { return .fail(.checkpointsVerify, "not checked: the full pull stopped: \(stopped)") }
        var wires = walk.checkpoints
        let own = walk.served[peer.peer.id, default: 0]
        let deadline = ContinuousClock.now + wait
        while own > 0 && !wires.contains(where: { $0.origin == peer.peer.id.rawValue }) {
            guard ContinuousClock.now < deadline else {
                return .fail(.checkpointsVerify, "the peer holds \(own) events of its own chain but sent no checkpoint of it within \(wait.components.seconds) s")
            }
            try? await Task.sleep(for: .seconds(1))
            do throws(ConformanceFailure) {
                wires += try await peer.pull(walk.served, limit: 100).checkpoints.prefix(SyncMessages.maximumCheckpoints)
            } catch {
                return .fail(.checkpointsVerify, "asking again for the peer's checkpoints: \(error)")
            }
        }
        guard !wires.isEmpty else { return .pass(.checkpointsVerify, "no checkpoints sent, none due: the peer's own chain is empty") }
        // A checkpoint sent again (on a later page, or when asked again) counts once.
        var checkpoints: [SignedCheckpoint] = []
        var seen: Set<SignedCheckpoint> = []
        for (index, wire) in wires.enumerated() {
            do {
                let checkpoint = try wire.checkpoint()
                if seen.insert(checkpoint).inserted { checkpoints.append(checkpoint) }
            } catch {
                return .fail(.checkpointsVerify, "checkpoint \(index): \(error)")
            }
        }
        if let forged = signatures(of: checkpoints) { return .fail(.checkpointsVerify, forged) }
        do throws(ConformanceFailure) {
            let compared = try await agreement(of: checkpoints)
            let cosignatures = checkpoints.reduce(0) { $0 + $1.cosignatures.count }
            let origins = Set(checkpoints.map(\.origin)).count
            return .pass(.checkpointsVerify, "\(checkpoints.count) checkpoint(s) of \(origins) origin(s) signed by their origins, \(cosignatures) cosignature(s) verify, "
                         + "\(compared) agree with the events served")
        } catch {
            return .fail(.checkpointsVerify, error.description)
        }
    }

    /// Why a checkpoint's or a cosignature's signature does not verify, or `nil`.
    func signatures(of checkpoints: [SignedCheckpoint]) -> String? {
        for checkpoint in checkpoints {
            let name = "checkpoint \(checkpoint.origin)/\(checkpoint.seq)"
            guard walk.keyring[checkpoint.origin] != nil else { return "\(name): \(checkpoint.origin) is not a node of the federation" }
            guard checkpoint.isSigned(by: walk.keyring) else { return "\(name) is not signed by \(checkpoint.origin)'s key" }
            let valid = checkpoint.validCosignatures(in: walk.keyring)
            if let forged = checkpoint.cosignatures.keys.sorted(by: { $0.rawValue < $1.rawValue }).first(where: { valid[$0] == nil }) {
                return "\(name): the cosignature by \(forged) does not verify against its key"
            }
        }
        return nil
    }

    /// Compares the checkpoints with the events the peer serves at their sequences; the
    /// number of (origin, sequence) pairs compared. Several hashes at one sequence are the
    /// evidence of an origin's equivocation and pass when one of them is the event served.
    func agreement(of checkpoints: [SignedCheckpoint]) async throws(ConformanceFailure) -> Int {
        let positions = Dictionary(grouping: checkpoints) { Position(origin: $0.origin, seq: $0.seq) }
            .filter { $0.key.seq <= walk.served[$0.key.origin, default: 0] }
            .sorted { ($0.key.origin.rawValue, $0.key.seq) < ($1.key.origin.rawValue, $1.key.seq) }
        for (position, named) in positions.prefix(Self.maximumCompared) {
            let served = try await hash(at: position)
            guard named.contains(where: { $0.hash == served }) else {
                throw ConformanceFailure("checkpoint \(position.origin)/\(position.seq) names hash \(named[0].hash), the peer serves \(served) there: "
                                         + "the peer or \(position.origin) does not tell one history")
            }
        }
        return min(positions.count, Self.maximumCompared)
    }

    struct Position: Hashable {
        var origin: NodeID
        var seq: Int64
    }

    /// The hash of the event the peer serves at `position` (the head the walk saw, or one
    /// pull from the sequence before it), verified.
    func hash(at position: Position) async throws(ConformanceFailure) -> EventHash {
        if position.seq == walk.served[position.origin], let head = walk.heads[position.origin] { return head }
        var vector = walk.served
        vector[position.origin] = position.seq - 1
        let page = try await peer.pull(vector, limit: 100)
        guard let event = page.events.first(where: { $0.envelope.originNode == position.origin && $0.envelope.originSeq == position.seq }) else {
            throw ConformanceFailure("a pull from \(position.origin)=\(position.seq - 1) did not serve \(position.origin)/\(position.seq), which a checkpoint names")
        }
        do { try event.verify(with: walk.keyring) } catch {
            throw ConformanceFailure("\(position.origin)/\(position.seq), served again for its checkpoint: \(error)")
        }
        return event.hash
    }
}

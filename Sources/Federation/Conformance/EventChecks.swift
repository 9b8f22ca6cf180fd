import CaseDomain
import EventLog

/// The checks of what a full pull served: events that verify, and every origin the peer's
/// vector claims, not only its own (events relay through every node).
struct EventChecks: Sendable {
    let peer: ConformancePeer
    let walk: FullPull

    func run() -> [ConformanceResult] {
        [eventsVerify(), relaysThirdOrigins()]
    }

    /// Every event of the full pull verified with the federation's keys and chained.
    func eventsVerify() -> ConformanceResult {
        if let integrity = walk.integrity { return .fail(.eventsVerify, integrity) }
        if let stopped = walk.stopped { return .fail(.eventsVerify, "the full pull stopped after \(walk.events) verified events: \(stopped)") }
        return .pass(.eventsVerify, "\(walk.events) events: each hash is SHA-256 of its envelope, its origin's key signed it, each chains to its predecessor")
    }

    /// The full pull served every other origin up to what the peer's vector claims.
    func relaysThirdOrigins() -> ConformanceResult {
        if let stopped = walk.stopped { return .fail(.relaysThirdOrigins, "the full pull stopped: \(stopped)") }
        let others = walk.claimed.filter { $0.key != peer.peer.id && $0.value > 0 }
        if let skipped = walk.missing(where: { $0 != peer.peer.id }).first {
            return .fail(.relaysThirdOrigins, "the peer's vector claims \(skipped.origin)=\(skipped.claimed), a full pull served \(skipped.origin) up to \(skipped.served)")
        }
        guard !others.isEmpty else {
            return .pass(.relaysThirdOrigins, "not exercised: the peer's vector names no origin but itself")
        }
        return .pass(.relaysThirdOrigins, "served every other origin its vector claims: \(others.vectorText)")
    }
}

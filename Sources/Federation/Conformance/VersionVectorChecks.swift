import CaseDomain
import EventLog
import Foundation

/// The checks of version-vector semantics and bounded pages: what a pull from a vector
/// serves, in which order, how many at once.
struct VersionVectorChecks: Sendable {
    let peer: ConformancePeer
    let walk: FullPull

    func run() async -> [ConformanceResult] {
        [originOrder(), await vectorResumes(), await currentVectorEmpty(), await limitHonoured()]
    }

    /// The full pull served every origin in order from 1, and the peer's own chain up to
    /// what its vector claims (other origins: ``EventChecks/relaysThirdOrigins()``).
    func originOrder() -> ConformanceResult {
        if let stopped = walk.stopped { return .fail(.originOrder, "a full pull from the empty vector: \(stopped)") }
        if let own = walk.missing(where: { $0 == peer.peer.id }).first {
            return .fail(.originOrder, "the peer's vector claims \(own.origin)=\(own.claimed), a full pull served its own chain up to \(own.served)")
        }
        return .pass(.originOrder, "a full pull from the empty vector served \(walk.events) events in \(walk.pages) page(s), "
                     + "each origin contiguous from 1 (\(walk.served.vectorText))")
    }

    /// A pull from the middle of an origin's chain serves that origin from the next sequence.
    func vectorResumes() async -> ConformanceResult {
        guard walk.stopped == nil else { return .fail(.vectorResumes, "not asked: the full pull stopped") }
        let origin = walk.served[peer.peer.id, default: 0] > 0 ? peer.peer.id : walk.served.max { $0.value < $1.value }?.key
        guard let origin, let head = walk.served[origin], head > 0 else {
            return .pass(.vectorResumes, "not exercised: the peer's log is empty")
        }
        var vector = walk.served
        vector[origin] = head / 2
        do throws(ConformanceFailure) {
            let page = try await peer.pull(vector, limit: 100)
            let ownEvents = page.events.filter { $0.envelope.originNode == origin }.map(\.envelope.originSeq)
            guard let first = ownEvents.first else {
                return .fail(.vectorResumes, "a pull from \(origin)=\(head / 2) (the rest held) served no event of \(origin)")
            }
            guard first == head / 2 + 1, ownEvents == Array(first..<(first + Int64(ownEvents.count))) else {
                return .fail(.vectorResumes, "a pull from \(origin)=\(head / 2) served \(origin) sequences \(ownEvents.prefix(5).map(String.init).joined(separator: ", "))…, not from \(head / 2 + 1) on")
            }
            return .pass(.vectorResumes, "a pull from \(origin)=\(head / 2) served \(origin)/\(first) to \(origin)/\(ownEvents.last ?? first)")
        } catch {
            return .fail(.vectorResumes, "a pull from \(origin)=\(head / 2): \(error)")
        }
    }

    /// A pull with the vector the peer last answered serves nothing new (unless the peer's
    /// log grew meanwhile: then only beyond that vector, which its new vector shows).
    func currentVectorEmpty() async -> ConformanceResult {
        guard walk.stopped == nil else { return .fail(.currentVectorEmpty, "not asked: the full pull stopped") }
        let vector = walk.lastVector
        do throws(ConformanceFailure) {
            let page = try await peer.pull(vector, limit: 100)
            if page.events.isEmpty && !page.more {
                return .pass(.currentVectorEmpty, "a pull with the peer's vector (\(vector.vectorText)) served no events, more: false")
            }
            let grown = page.vector.contains { $0.value > vector[$0.key, default: 0] }
            guard grown else {
                return .fail(.currentVectorEmpty, "a pull with the peer's own vector (\(vector.vectorText)) served \(page.events.count) events, more: \(page.more), "
                             + "and the peer's vector did not grow")
            }
            return .pass(.currentVectorEmpty, "a pull with the peer's vector served only what it holds beyond it (its log grew meanwhile)")
        } catch {
            return .fail(.currentVectorEmpty, "a pull with the peer's vector: \(error)")
        }
    }

    /// Pulls for 1 and 2 events from the empty vector.
    func limitHonoured() async -> ConformanceResult {
        var answers: [String] = []
        for limit in [1, 2] {
            do throws(ConformanceFailure) {
                let page = try await peer.pull([:], limit: limit)
                let total = page.vector.values.reduce(0) { $0 + Int(clamping: $1) }
                if total > 0 && page.events.isEmpty {
                    return .fail(.limitHonoured, "a pull for limit \(limit) served no event, though the peer's vector claims \(total)")
                }
                if total > limit && !page.more {
                    return .fail(.limitHonoured, "a pull for limit \(limit) said more: false, though the peer's vector claims \(total) events")
                }
                answers.append("limit \(limit): \(page.events.count) event(s), more: \(page.more)")
            } catch {
                return .fail(.limitHonoured, "a pull for limit \(limit): \(error)")
            }
        }
        return .pass(.limitHonoured, answers.joined(separator: "; "))
    }
}

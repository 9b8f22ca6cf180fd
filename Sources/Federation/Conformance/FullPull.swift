import CaseDomain
import EventLog
import Foundation

/// Everything the peer serves from the empty vector, page by page until `more: false`, as
/// a sync worker would pull it, checked as it arrives: origin order, each event's
/// integrity and chain. Holds only each origin's head, so a long log costs no memory; the
/// walk is bounded by what the peer's first vector claims.
struct FullPull: Sendable {
    /// The events of each page asked for.
    static let pageLimit = 1000

    /// The peer's vector in its first answer: what it claims to hold.
    var claimed: [NodeID: Int64] = [:]
    /// Each origin's highest contiguous sequence served, and its hash.
    var served: [NodeID: Int64] = [:]
    var heads: [NodeID: EventHash] = [:]
    /// The peer's vector in its last answer.
    var lastVector: [NodeID: Int64] = [:]
    var pages = 0
    var events = 0
    /// The federation's keys, following the key changes served.
    var keyring: OriginKeyring
    /// The checkpoints of every page, as they came (at most ``SyncMessages/maximumCheckpoints``).
    var checkpoints: [SyncMessages.WireCheckpoint] = []
    /// Why the walk stopped before `more: false` (a malformed answer, an event out of order).
    var stopped: String?
    /// The first event that failed its integrity check, and why.
    var integrity: String?

    /// Walks `peer`'s log from the empty vector.
    static func walk(_ peer: ConformancePeer, keyring: OriginKeyring) async -> FullPull {
        var pull = FullPull(keyring: keyring)
        do throws(ConformanceFailure) {
            var page = try await peer.pull([:], limit: pageLimit)
            pull.claimed = page.vector
            // The pages a log of the claimed size needs, with room for what arrives meanwhile.
            let total = page.vector.values.reduce(0) { $0 + Int(clamping: $1) }
            let bound = 2 * (total / pageLimit) + 10
            while true {
                try pull.take(page)
                guard page.more else { return pull }
                guard !page.events.isEmpty else { throw ConformanceFailure("page \(pull.pages) held no event but said more: true") }
                guard pull.pages < bound else {
                    throw ConformanceFailure("the peer still said more: true after \(pull.pages) pages (\(pull.events) events; its vector claimed \(total))")
                }
                page = try await peer.pull(pull.served, limit: pageLimit)
            }
        } catch {
            pull.stopped = error.description
            return pull
        }
    }

    /// One page: each event must be its origin's next; each is verified and chained.
    mutating func take(_ page: PullPage) throws(ConformanceFailure) {
        pages += 1
        lastVector = page.vector
        checkpoints += page.checkpoints.prefix(max(0, SyncMessages.maximumCheckpoints - checkpoints.count))
        for event in page.events {
            let origin = event.envelope.originNode, seq = event.envelope.originSeq
            let expected = served[origin, default: 0] + 1
            guard seq == expected else {
                throw ConformanceFailure("page \(pages) served \(origin)/\(seq) where \(origin)/\(expected) was next")
            }
            if integrity == nil { integrity = Self.integrity(of: event, after: heads[origin] ?? .genesis, keyring: keyring) }
            keyring = keyring.following([event])
            served[origin] = seq
            heads[origin] = event.hash
            events += 1
        }
    }

    /// Why `event` fails its integrity check after its origin's head `previous`, or `nil`.
    static func integrity(of event: SignedEvent, after previous: EventHash, keyring: OriginKeyring) -> String? {
        let name = "\(event.envelope.originNode)/\(event.envelope.originSeq)"
        do { try event.verify(with: keyring) } catch { return "\(name): \(error)" }
        guard event.envelope.prevHash == previous else {
            return "\(name): prevHash \(event.envelope.prevHash) is not the hash of its origin's previous event, \(previous)"
        }
        return nil
    }

    /// The origins whose claimed events the walk did not serve, with claimed and served.
    func missing(where include: (NodeID) -> Bool) -> [(origin: NodeID, claimed: Int64, served: Int64)] {
        claimed.filter { include($0.key) && $0.value > served[$0.key, default: 0] }
            .map { ($0.key, $0.value, served[$0.key, default: 0]) }
            .sorted { $0.origin.rawValue < $1.origin.rawValue }
    }
}

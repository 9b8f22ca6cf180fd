import CaseDomain
import Foundation
import Logging
import ServiceLifecycle

/// Fetches, in the background, the scans this node's centres will need: those of the
/// records they take part in that the node does not hold yet, each from the first of the
/// nodes taking part in those records (sync peers or not) or of its sync peers that has
/// it — never from every node, so a round costs what the records and the peers do —
/// checked against its fingerprint and stored once. A scan none of them has yet (its
/// uploader's node may not have it either) is tried again after `retryAfter`; a staff
/// read of it asks every node (``PeerClient/fetchDocument(sha256:from:everyNode:into:)``).
public actor DocumentPrefetcher: Service {
    private let peers: PeerClient
    private let store: DocumentStore
    private let missing: @Sendable (_ skipping: Set<String>, _ limit: Int) async throws -> [(sha256: String, holders: Set<NodeID>)]
    private let interval: Duration
    private let retryAfter: Duration
    private let logger: Logger
    private var unavailable: [String: ContinuousClock.Instant] = [:]

    /// - Parameters:
    ///   - missing: up to `limit` fingerprints of scans the node's centres need and the
    ///     node lacks, leaving out `skipping`, each with the nodes that may hold it.
    ///   - interval: the pause between rounds once nothing is left to fetch.
    public init(peers: PeerClient, store: DocumentStore, interval: Duration = .seconds(5), retryAfter: Duration = .seconds(60),
                logger: Logger, missing: @escaping @Sendable (_ skipping: Set<String>, _ limit: Int) async throws -> [(sha256: String, holders: Set<NodeID>)]) {
        self.peers = peers
        self.store = store
        self.missing = missing
        self.interval = interval
        self.retryAfter = retryAfter
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let fetched = await self.fetchRound()
                if fetched == 0 { try? await Task.sleep(for: self.interval) }
            }
        }
    }

    /// Fetches one round of missing scans; returns how many were stored.
    @discardableResult
    public func fetchRound(limit: Int = 20) async -> Int {
        let now = ContinuousClock.now
        unavailable = unavailable.filter { $0.value > now }
        let wanted: [(sha256: String, holders: Set<NodeID>)]
        do {
            wanted = try await missing(Set(unavailable.keys), limit)
        } catch {
            logger.warning("listing the scans to prefetch failed", metadata: ["error": "\(error)"])
            return 0
        }
        var fetched = 0
        for (sha256, holders) in wanted where !Task.isCancelled {
            if await peers.fetchDocument(sha256: sha256, from: holders, everyNode: false, into: store) != nil {
                fetched += 1
            } else {
                unavailable[sha256] = ContinuousClock.now + retryAfter
                logger.debug("no peer has the scan yet", metadata: ["sha256": "\(sha256)"])
            }
        }
        return fetched
    }
}

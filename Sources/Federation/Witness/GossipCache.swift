import Foundation

/// The checkpoints a node tells the nodes that pull from it (``CheckpointStore/gossip()``),
/// kept for a moment: a node answers many pulls a second — one per peer per round, more
/// under load — while a checkpoint of an origin is signed every few seconds at most, so
/// reading them once for all the pulls of a second changes what a peer learns by at most
/// that second.
public actor GossipCache {
    private let maximumAge: Duration
    private var cached: (at: ContinuousClock.Instant, checkpoints: [SignedCheckpoint])?
    private var loading: Task<[SignedCheckpoint], any Error>?

    public init(maximumAge: Duration = .seconds(1)) {
        self.maximumAge = maximumAge
    }

    /// `store`'s gossip, read again once the last reading is older than the maximum age
    /// (pulls that ask meanwhile share one reading).
    public func checkpoints(of store: CheckpointStore) async throws -> [SignedCheckpoint] {
        if let cached, ContinuousClock.now - cached.at < maximumAge { return cached.checkpoints }
        if let loading { return try await loading.value }
        let started = ContinuousClock.now
        let reading = Task { try await store.gossip() }
        loading = reading
        defer { loading = nil }
        let checkpoints = try await reading.value
        cached = (started, checkpoints)
        return checkpoints
    }
}

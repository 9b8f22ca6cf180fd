import CaseDomain
import EventLog
import Foundation
import Logging
import ServiceLifecycle

/// Signs a checkpoint of this node's chain every `interval` while the chain grows, and
/// confirms (and cosigns) the checkpoints received ahead of their events once they have
/// arrived. The checkpoints travel with the sync worker's pull answers.
public struct CheckpointService: Service {
    /// At most this long between a node's checkpoints while its log grows (the 10 s).
    public static let defaultInterval: Duration = .seconds(5)

    let store: CheckpointStore
    let interval: Duration
    let logger: Logger

    public init(store: CheckpointStore, interval: Duration = Self.defaultInterval, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await tick()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One round: sign the head if it moved, confirm what can be confirmed now, drop what no
    /// check needs (``CheckpointStore/prune(olderThan:)``). A failure
    /// (the database away) is logged and the next round tries again.
    public func tick() async {
        do {
            try await store.signOwnHead()
            try await store.confirmPending()
            try await store.prune()
        } catch {
            logger.warning("checkpointing failed", metadata: ["error": "\(error)"])
        }
    }
}

import CaseDomain
import Logging
import Projections
import ServiceLifecycle

/// Records the delivery of every request sent to this node's centres, a moment after it is
/// in the log and projected: each round takes the oldest still unrecorded (at most a
/// hundred) from the case view. Runs until the node shuts down; an error is logged and the
/// round retried.
package struct DeliveryClerk: Service {
    private let receipts: DeliveryReceipts
    private let queue: DeliveryQueue
    private let centres: [CentreID]
    private let interval: Duration
    private let logger: Logger

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await round()
                } catch {
                    logger.error("recording deliveries failed; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Records the deliveries waiting now; returns how many.
    @discardableResult
    package func round() async throws -> Int {
        let waiting = try await queue.undelivered(to: centres, limit: 100)
        for request in waiting {
            try await receipts.record(request, openedBy: nil)
        }
        return waiting.count
    }

    /// A clerk for `centres` (this node's), recording what `queue` holds every `interval`.
    package init(receipts: DeliveryReceipts, queue: DeliveryQueue, centres: [CentreID], interval: Duration, logger: Logger) {
        self.receipts = receipts
        self.queue = queue
        self.centres = centres
        self.interval = interval
        self.logger = logger
    }
}

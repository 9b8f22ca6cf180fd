import Foundation
import Logging
import PostgresNIO

/// Tells readers that the log has grown, from PostgreSQL's NOTIFY on the appender's channel.
///
/// ``run()`` keeps one LISTEN connection open and reconnects when the backend goes away;
/// readers also poll, so a lost notification only delays them by the poll interval.
public actor LogNotifier {
    private let client: PostgresClient
    private let logger: Logger
    private var latestNotified: Int64 = 0
    private var waiters: [UUID: (after: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.notifier")) {
        self.client = client
        self.logger = logger
    }

    /// Listens until the task is cancelled, reconnecting with backoff after failures.
    public func run() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: EventAppender.notificationChannel) { notifications in
                        backoff = .milliseconds(100)
                        self.wakeAll()
                        for try await notification in notifications {
                            self.notified(position: Int64(notification.payload) ?? 0)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("listening for new events failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
        wakeAll()
    }

    /// Returns when an event after `position` is notified, or after `timeout`, whichever is first.
    public func waitForEvents(after position: Int64, timeout: Duration) async {
        if latestNotified > position { return }
        let id = UUID()
        await withCheckedContinuation { continuation in
            waiters[id] = (position, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.resume(id)
            }
        }
    }

    private func notified(position: Int64) {
        latestNotified = max(latestNotified, position)
        for (id, waiter) in waiters where waiter.after < latestNotified {
            resume(id)
        }
    }

    private func wakeAll() {
        for id in waiters.keys { resume(id) }
    }

    private func resume(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume()
    }
}

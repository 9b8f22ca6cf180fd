import EventLog
import Logging
import PostgresNIO
import ServiceLifecycle

/// Every projection of a node, each following the log on its own task so that a slow one
/// does not hold up the others; stops on graceful shutdown.
public struct ProjectorService: Service {
    /// The projections a node keeps.
    public static let all: [any Projection] = [
        InboxProjection(), StatisticsProjection(), CertificateRegistryProjection(), RecordDocumentsProjection(), CaseViewProjection(),
    ]

    private let projectors: [Projector]
    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, projections: [any Projection] = Self.all, logger: Logger) {
        self.client = client
        self.logger = logger
        self.projectors = projections.map { Projector(projection: $0, client: client, logger: logger) }
    }

    public func run() async throws {
        let notifier = LogNotifier(client: client, logger: logger)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.run() }
                for projector in projectors {
                    group.addTask { await projector.run(notifier: notifier) }
                }
                await group.waitForAll()
            }
        }
    }
}

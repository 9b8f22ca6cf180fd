import EventLog
import Foundation
import Logging
import PostgresNIO

/// Runs one projection over the log: reads the events after its checkpoint in batches and,
/// for each batch, applies them and moves the checkpoint in one transaction (invariant 7:
/// each event exactly once, restartable anywhere). The same code runs live and rebuilds.
public struct Projector: Sendable {
    public let projection: any Projection
    public let schema: ProjectionSchema
    private let client: PostgresClient
    private let reader: EventReader
    private let batchSize: Int
    private let logger: Logger

    public init(projection: any Projection, schema: ProjectionSchema = .live, client: PostgresClient,
                batchSize: Int = 1000, logger: Logger = Logger(label: "tongban.projector")) {
        self.projection = projection
        self.schema = schema
        self.client = client
        self.reader = EventReader(client: client, logger: logger)
        self.batchSize = batchSize
        self.logger = logger
    }

    /// The global position the projection has applied up to (0 before its first batch).
    public func checkpoint() async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT position FROM \(schema.name).checkpoints WHERE projection = $1",
                                                        binds: try Self.binds(projection.name)), logger: logger)
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }

    /// Applies every event up to `target` (default: the log's head when called), batch by
    /// batch; `progress` hears the checkpoint and the target after each batch. Returns the
    /// number of events applied.
    @discardableResult
    public func catchUp(to target: Int64? = nil, progress: (@Sendable (_ position: Int64, _ target: Int64) -> Void)? = nil) async throws -> Int {
        let head = try await reader.headPosition()
        let target = min(target ?? head, head)
        var position = try await checkpoint()
        var applied = 0
        while position < target {
            let batch = try await reader.readBatch(after: position, limit: Int(min(Int64(batchSize), target - position)))
            guard !batch.isEmpty else { break }
            if let count = try await commit(batch, after: position) {
                applied += count
                position = batch[batch.count - 1].globalPosition
            } else {
                // Another projector (a second process) moved the checkpoint: continue from there.
                position = try await checkpoint()
            }
            progress?(position, target)
        }
        return applied
    }

    /// Follows the log until the task is cancelled: catches up, then waits for the next
    /// commit (NOTIFY) or `pollInterval`. A failing batch is logged and retried after a pause;
    /// its transaction rolled back, so nothing is half-applied.
    public func run(notifier: LogNotifier, pollInterval: Duration = .seconds(1)) async {
        var pause = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await catchUp()
                pause = .milliseconds(100)
                await notifier.waitForEvents(after: try await checkpoint(), timeout: pollInterval)
            } catch {
                if Task.isCancelled { return }
                logger.error("projection \(projection.name) failed; retrying", metadata: ["error": "\(describePostgresError(error))"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
        }
    }

    /// Applies `batch` and moves the checkpoint from `expected`, in one transaction;
    /// `nil` if the checkpoint was no longer `expected` (nothing applied).
    private func commit(_ batch: [RecordedEvent], after expected: Int64) async throws -> Int? {
        let name = projection.name
        let projection = projection
        let schema = schema
        let logger = logger
        do {
            return try await client.withTransaction(logger: logger) { connection -> Int? in
            try await schema.use(on: connection, logger: logger)
            _ = try await connection.query("INSERT INTO checkpoints (projection, position) VALUES (\(name), 0) ON CONFLICT DO NOTHING", logger: logger)
            let rows = try await connection.query("SELECT position FROM checkpoints WHERE projection = \(name) FOR UPDATE", logger: logger)
            var current: Int64 = -1
            for try await position in rows.decode(Int64.self) { current = position }
            guard current == expected else { return nil }
            let accepted = batch.filter { $0.quarantineReason == nil }
            if !accepted.isEmpty { try await projection.apply(accepted, on: connection, logger: logger) }
            _ = try await connection.query("UPDATE checkpoints SET position = \(batch[batch.count - 1].globalPosition) WHERE projection = \(name)", logger: logger)
            return accepted.count
            }
        } catch let error as PostgresTransactionError {
            // The batch was rolled back; report what failed inside it.
            throw error.closureError ?? error
        }
    }

    private static func binds(_ text: String) throws -> PostgresBindings {
        var binds = PostgresBindings()
        try binds.append(text, context: .default)
        return binds
    }
}

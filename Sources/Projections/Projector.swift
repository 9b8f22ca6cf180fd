import EventLog
import Foundation
import Logging
import PostgresNIO

/// Runs projections over the log: reads the events after their checkpoint in batches and,
/// for each batch, applies them and moves the checkpoints in one transaction (invariant 7:
/// each event exactly once, restartable anywhere). The same code runs live and rebuilds.
/// An event a projection cannot apply is parked in that transaction and the projection
/// goes on (invariant 10, ``ParkingApplier``).
/// A node runs one projector per projection, so a slow one holds up no other; a rebuild
/// runs all of them as one, reading and parsing each batch once and applying it to each
/// projection in a transaction of its own, on connections of their own, side by side.
public struct Projector: Sendable {
    public let projections: [any Projection]
    public let schema: ProjectionSchema
    let client: PostgresClient
    let reader: EventReader
    private let batchSize: Int
    let logger: Logger
    private let statistics = PlannerStatistics()

    public init(projection: any Projection, schema: ProjectionSchema = .live, client: PostgresClient,
                batchSize: Int = 1000, logger: Logger = Logger(label: "tongban.projector")) {
        self.init(projections: [projection], schema: schema, client: client, batchSize: batchSize, logger: logger)
    }

    /// Projections that stand at one checkpoint and move together (a rebuild from 0). Each
    /// batch is applied to each projection in its own transaction, concurrently.
    public init(projections: [any Projection], schema: ProjectionSchema = .live, client: PostgresClient,
                batchSize: Int = 1000, logger: Logger = Logger(label: "tongban.projector")) {
        precondition(!projections.isEmpty, "a projector needs a projection")
        self.projections = projections
        self.schema = schema
        self.client = client
        self.reader = EventReader(client: client, logger: logger)
        self.batchSize = batchSize
        self.logger = logger
    }

    /// The global position the projections have applied up to (0 before their first
    /// batch; the lowest if they stand apart).
    public func checkpoint() async throws -> Int64 {
        var lowest = Int64.max
        for projection in projections {
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT position FROM \(schema.name).checkpoints WHERE projection = $1",
                                                            binds: PostgresBindings(text: projection.name)), logger: logger)
            var position: Int64 = 0
            for try await stored in rows.decode(Int64.self) { position = stored }
            lowest = min(lowest, position)
        }
        return lowest
    }

    /// Applies every event up to `target` (default: the log's head when called), batch by
    /// batch; `progress` hears the checkpoint and the target after each batch. The next
    /// batch is read and parsed while the current one is written. Returns the number of
    /// events passed (applied or parked).
    @discardableResult
    public func catchUp(to target: Int64? = nil, progress: (@Sendable (_ position: Int64, _ target: Int64) -> Void)? = nil) async throws -> Int {
        let head = try await reader.headPosition()
        let target = min(target ?? head, head)
        var position = try await checkpoint()
        var applied = 0
        var next = position < target ? prefetch(after: position, upTo: target) : nil
        defer { next?.cancel() }
        while let fetching = next {
            let batch = try await fetching.value
            guard let last = batch.last else { break }
            next = last < target ? prefetch(after: last, upTo: target) : nil
            if let count = try await commit(batch.events, through: last, after: position) {
                applied += count
                position = last
                await statistics.refreshIfGrown(position: position, tables: projections.flatMap(\.tables), schema: schema, client: client, logger: logger)
            } else {
                // Another projector (a second process) moved the checkpoint: continue from there.
                next?.cancel()
                position = try await checkpoint()
                next = position < target ? prefetch(after: position, upTo: target) : nil
            }
            progress?(position, target)
        }
        return applied
    }

    /// Brings the projections up to the log's head as it stands now, for a read that must
    /// see every committed event (what its reader has just written, say); when they are more
    /// than `limit` events behind, that is not done inside a request: ``ProjectionBehind``.
    public func catchUpForRead(limit: Int64) async throws {
        let (head, position) = try await headAndCheckpoint()
        guard head > position else { return }
        guard head - position <= limit else {
            throw ProjectionBehind(projection: projections.map(\.name).joined(separator: ", "), events: head - position)
        }
        try await catchUp(to: head)
    }

    /// The log's head and ``checkpoint()``: for one live projection (what a read catches
    /// up) in one prepared statement, a round trip less on every read that catches up.
    private func headAndCheckpoint() async throws -> (head: Int64, checkpoint: Int64) {
        guard schema == .live, projections.count == 1 else { return (try await reader.headPosition(), try await checkpoint()) }
        return try await client.rows(of: LiveHeadAndCheckpoint(projection: projections[0].name), logger: logger).first ?? (0, 0)
    }

    /// A batch as read and parsed: its accepted events and the position of its last event
    /// (quarantined ones included, so the checkpoint passes them).
    private struct Batch: Sendable {
        var events: [BatchEvent]
        var last: Int64?
    }

    /// Reads and parses the batch after `position` on a task of its own.
    private func prefetch(after position: Int64, upTo target: Int64) -> Task<Batch, any Error> {
        let reader = reader
        let limit = Int(min(Int64(batchSize), target - position))
        return Task {
            let recorded = try await reader.readBatch(after: position, limit: limit)
            return Batch(events: recorded.filter { $0.quarantineReason == nil }.map(BatchEvent.init), last: recorded.last?.globalPosition)
        }
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
                logger.error("projection \(projections.map(\.name).joined(separator: ", ")) failed; retrying", metadata: ["error": "\(describePostgresError(error))"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
        }
    }

    /// Applies `accepted` to every projection and moves its checkpoint from `expected` to
    /// `last`, one transaction per projection, side by side; `nil` if a checkpoint was no
    /// longer `expected` (then nothing is applied to that projection).
    private func commit(_ accepted: [BatchEvent], through last: Int64, after expected: Int64) async throws -> Int? {
        guard projections.count > 1 else {
            return try await commit(accepted, to: projections[0], through: last, after: expected) ? accepted.count : nil
        }
        let allMoved = try await withThrowingTaskGroup(of: Bool.self) { group in
            for projection in projections {
                group.addTask { try await commit(accepted, to: projection, through: last, after: expected) }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        return allMoved ? accepted.count : nil
    }

    /// Applies `accepted` to `projection` and moves its checkpoint from `expected` to `last`
    /// in one transaction; false if the checkpoint was no longer `expected`. A batch the
    /// projection refuses is rolled back and applied again event by event, parking the
    /// events it refuses.
    private func commit(_ accepted: [BatchEvent], to projection: any Projection, through last: Int64, after expected: Int64) async throws -> Bool {
        do {
            return try await commit(accepted, to: projection, through: last, after: expected, oneByOne: false)
        } catch let error where Parking.refusal(error) != nil {
            return try await commit(accepted, to: projection, through: last, after: expected, oneByOne: true)
        }
    }

    private func commit(_ accepted: [BatchEvent], to projection: any Projection, through last: Int64, after expected: Int64, oneByOne: Bool) async throws -> Bool {
        let logger = logger
        do {
            try await withCheckpoint(of: projection) { connection, current in
                guard current == expected else { throw MovedOn() }
                _ = try await ParkingApplier(projection: projection, connection: connection, logger: logger).apply(accepted, oneByOne: oneByOne)
                _ = try await connection.query("UPDATE checkpoints SET position = \(last) WHERE projection = \(projection.name)", logger: logger)
            }
            return true
        } catch is MovedOn {
            return false
        }
    }

    /// Runs `body` in a transaction on this projector's schema that holds `projection`'s
    /// checkpoint row (made at 0 if missing), with its position; errors thrown inside come
    /// out as themselves, the transaction rolled back.
    func withCheckpoint<Result: Sendable>(of projection: any Projection,
                                          _ body: (PostgresConnection, Int64) async throws -> Result) async throws -> Result {
        let schema = schema
        let logger = logger
        let name = projection.name
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await schema.use(on: connection, logger: logger)
                _ = try await connection.query("INSERT INTO checkpoints (projection, position) VALUES (\(name), 0) ON CONFLICT DO NOTHING", logger: logger)
                let rows = try await connection.query("SELECT position FROM checkpoints WHERE projection = \(name) FOR UPDATE", logger: logger)
                var current: Int64 = -1
                for try await position in rows.decode(Int64.self) { current = position }
                return try await body(connection, current)
            }
        } catch let error as PostgresTransactionError {
            // The transaction was rolled back; say what failed inside it.
            throw error.closureError ?? error
        }
    }

    /// Another projector moved a checkpoint first: roll back, continue from there.
    private struct MovedOn: Error {}
}

/// A projection is further behind the log than a read catches up by itself (its projector
/// was off, the database was restored): the projector is still working through it.
public struct ProjectionBehind: Error, CustomStringConvertible {
    public let projection: String
    /// How many events it lacks.
    public let events: Int64

    public var description: String {
        "the \(projection) projection is \(events) events behind the log while the projector catches up: try again shortly"
    }
}

/// The log's head and one live projection's checkpoint (0 before its first batch).
struct LiveHeadAndCheckpoint: PostgresPreparedStatement {
    static let sql = """
        SELECT (SELECT coalesce(max(global_position), 0) FROM events),
               coalesce((SELECT position FROM projections.checkpoints WHERE projection = $1), 0)
        """
    typealias Row = (Int64, Int64)
    let projection: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(projection)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

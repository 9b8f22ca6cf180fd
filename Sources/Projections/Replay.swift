import EventLog
import Foundation
import Logging
import PostgresNIO

/// Rebuilds projections from position 0 into a schema of their own and compares them with
/// the live ones: the auditor's proof that the views are a function of the log.
public struct Replay: Sendable {
    /// How a rebuilt table compares with the live one.
    public struct Comparison: Sendable, Hashable {
        public let live: TableChecksum
        public let rebuilt: TableChecksum
        public var matches: Bool { live.rows == rebuilt.rows && live.md5 == rebuilt.md5 }
    }

    /// The outcome: the position both were compared at, and each table's comparison.
    public struct Report: Sendable {
        public let position: Int64
        public let comparisons: [Comparison]
        public var matches: Bool { comparisons.allSatisfy(\.matches) }
    }

    public let projections: [any Projection]
    public let target: ProjectionSchema
    private let client: PostgresClient
    private let logger: Logger

    /// - Parameter client: connected as the tables' owner (a rebuild creates a schema).
    public init(projections: [any Projection], into target: ProjectionSchema, client: PostgresClient, logger: Logger = Logger(label: "tongban.replay")) {
        self.projections = projections
        self.target = target
        self.client = client
        self.logger = logger
    }

    /// Creates the target schema empty and applies the log up to `position` (default: the
    /// head) to every projection; `progress` hears (applied position, target position).
    public func rebuild(upTo position: Int64? = nil, batchSize: Int = 5000,
                       progress: (@Sendable (_ position: Int64, _ target: Int64) -> Void)? = nil) async throws {
        let tables = projections.flatMap(\.tables)
        let target = target
        let logger = logger
        try await client.withConnection { connection in
            try await target.recreate(like: .live, tables: tables, on: connection, logger: logger)
        }
        try await advance(to: position, batchSize: batchSize, progress: progress)
    }

    /// Applies further events to the rebuild, up to `position` (default: the head).
    public func advance(to position: Int64?, batchSize: Int = 5000,
                        progress: (@Sendable (_ position: Int64, _ target: Int64) -> Void)? = nil) async throws {
        let positions = try await checkpoints(in: target)
        if Set(positions.values).count == 1 {
            // All at one position (always, from 0): read and parse each batch once for all.
            try await Projector(projections: projections, schema: target, client: client, batchSize: batchSize, logger: logger)
                .catchUp(to: position, progress: progress)
            return
        }
        for projection in projections {
            try await Projector(projection: projection, schema: target, client: client, batchSize: batchSize, logger: logger)
                .catchUp(to: position, progress: progress)
        }
    }

    /// Compares the rebuild with the live projections at the same log position: the rebuild
    /// follows the live checkpoints until both stand still at one position, then both are
    /// checksummed in one snapshot, the events each parked included (invariant 10).
    public func compareWithLive() async throws -> Report {
        let tables = compared
        let names = projections.map(\.name)
        for _ in 0..<10 {
            let livePositions = try await checkpoints(in: .live)
            guard let position = Set(livePositions.values).count == 1 ? livePositions.values.first : nil else {
                throw ReplayError.liveProjectionsDisagree(livePositions)
            }
            try await advance(to: position)
            let report = try await client.withTransaction(logger: logger) { connection -> Report? in
                _ = try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                var comparisons: [Comparison] = []
                for table in tables {
                    comparisons.append(Comparison(live: try await ProjectionSchema.live.checksum(of: table, projections: names, on: connection, logger: logger),
                                                  rebuilt: try await target.checksum(of: table, projections: names, on: connection, logger: logger)))
                }
                let rows = try await connection.query("SELECT min(position), max(position) FROM projections.checkpoints", logger: logger)
                for try await (low, high) in rows.decode((Int64?, Int64?).self) where (low ?? 0) == position && (high ?? 0) == position {
                    return Report(position: position, comparisons: comparisons)
                }
                return nil
            }
            if let report { return report }
        }
        throw ReplayError.liveKeptMoving
    }

    /// The tables a comparison checksums: the projections' own and their parked events.
    private var compared: [String] { projections.flatMap(\.tables) + [ProjectionSchema.parkedEvents] }

    /// Up to `limit` rows of `table` only the live schema has, and only the rebuild has, as text.
    public func differences(in table: String, limit: Int = 10) async throws -> (onlyLive: [String], onlyRebuilt: [String]) {
        let names = projections.map(\.name)
        func rows(_ first: ProjectionSchema, _ second: ProjectionSchema) async throws -> [String] {
            let result = try await client.query(ProjectionSchema.query("""
                SELECT t::text FROM (SELECT * FROM \(first.rows(of: table)) a EXCEPT ALL SELECT * FROM \(second.rows(of: table)) b) t LIMIT \(limit)
                """, reading: table, of: names), logger: logger)
            var texts: [String] = []
            for try await text in result.decode(String.self) { texts.append(text) }
            return texts
        }
        return (try await rows(.live, target), try await rows(target, .live))
    }

    /// Makes the rebuild the live schema, atomically; the old live schema is dropped.
    public func swapIntoLive() async throws {
        let target = target
        let logger = logger
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE projections.checkpoints IN ACCESS EXCLUSIVE MODE"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS projections_previous CASCADE"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER SCHEMA projections RENAME TO projections_previous"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER SCHEMA \(target.name) RENAME TO projections"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "GRANT USAGE ON SCHEMA projections TO tongban_service"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA projections TO tongban_service"), logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA projections_previous CASCADE"), logger: logger)
        }
    }

    /// Each projection's checkpoint in `schema`.
    public func checkpoints(in schema: ProjectionSchema) async throws -> [String: Int64] {
        var positions: [String: Int64] = [:]
        for projection in projections {
            positions[projection.name] = try await Projector(projection: projection, schema: schema, client: client, logger: logger).checkpoint()
        }
        return positions
    }
}

/// Why a replay could not compare.
public enum ReplayError: Error, CustomStringConvertible {
    case liveProjectionsDisagree([String: Int64])
    case liveKeptMoving

    public var description: String {
        switch self {
        case .liveProjectionsDisagree(let positions):
            "the live projections stand at different positions (\(positions.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", "))): wait for the projector to catch up"
        case .liveKeptMoving: "the live projections kept moving during ten comparisons: compare when writes are quiet"
        }
    }
}

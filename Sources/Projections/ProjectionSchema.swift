import Foundation
import Logging
import PostgresNIO

/// A PostgreSQL schema that holds a set of projections' tables: the live `projections`
/// schema, or a rebuild beside it.
public struct ProjectionSchema: Sendable, Hashable, CustomStringConvertible {
    /// The schema name: lowercase letters, digits and `_`.
    public let name: String

    /// The schema the running node projects into (created by migration 003).
    public static let live = ProjectionSchema(validated: "projections")

    public init?(_ name: String) {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_"),
              name.utf8.count <= 63,
              name.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") })
        else { return nil }
        self.name = name
    }

    private init(validated name: String) { self.name = name }

    public var description: String { name }

    /// The table every projection of a schema parks its events in (invariant 10).
    public static let parkedEvents = "parked_events"

    /// Makes this schema an empty copy of `template`'s tables (columns, constraints,
    /// indexes), for `projections`, the checkpoints and the parked events. Drops it first if
    /// it exists.
    public func recreate(like template: ProjectionSchema, tables: [String], on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(name) CASCADE"), logger: logger)
        _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name)"), logger: logger)
        for table in ["checkpoints", Self.parkedEvents] + tables {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(name).\(table) (LIKE \(template.name).\(table) INCLUDING ALL)"), logger: logger)
        }
    }

    /// Drops the schema and everything in it.
    public func drop(on client: PostgresClient, logger: Logger) async throws {
        _ = try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(name) CASCADE"), logger: logger)
    }

    /// A table's row count and a checksum of its rows, independent of row order; of the
    /// parked events, only those `projections` parked.
    public func checksum(of table: String, projections: [String], on connection: PostgresConnection, logger: Logger) async throws -> TableChecksum {
        let rows = try await connection.query(Self.query("""
            SELECT count(*), coalesce(md5(string_agg(row_hash, '' ORDER BY row_hash)), '')
              FROM (SELECT md5(t::text) AS row_hash FROM \(rows(of: table)) t) AS hashed
            """, reading: table, of: projections), logger: logger)
        for try await (count, digest) in rows.decode((Int64, String).self) {
            return TableChecksum(table: table, rows: count, md5: digest)
        }
        return TableChecksum(table: table, rows: 0, md5: "")
    }

    /// The rows of `table` as a `FROM` item: for the parked events, those of the projections
    /// bound as `$1`.
    func rows(of table: String) -> String {
        table == Self.parkedEvents ? "(SELECT * FROM \(name).\(table) WHERE projection = ANY($1))" : "\(name).\(table)"
    }

    /// `sql`, which reads ``rows(of:)`` of `table`, with `$1` bound to `projections` when
    /// that is the parked events (and no parameter otherwise).
    static func query(_ sql: String, reading table: String, of projections: [String]) -> PostgresQuery {
        var bindings = PostgresBindings()
        if table == parkedEvents { bindings.append(projections, context: .default) }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Sets this transaction's `search_path` to the schema (then `public`, for the log).
    /// Projections read the rows a batch touches by key; a table that grew since its last
    /// statistics (a rebuild's always has) would otherwise be scanned whole for them. A
    /// projection's commit does not wait for its WAL to reach the disk: a crash can only
    /// lose whole batches, rows and checkpoint together, which are projected again.
    func use(on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT set_config('search_path', '\(name), public', true), set_config('enable_seqscan', 'off', true),
                   set_config('synchronous_commit', 'off', true)
            """), logger: logger)
    }
}

/// What a table holds, in one comparable figure.
public struct TableChecksum: Sendable, Hashable, CustomStringConvertible {
    public let table: String
    public let rows: Int64
    public let md5: String

    public var description: String { "\(table): \(rows) rows, md5 \(md5.isEmpty ? "-" : md5)" }
}

extension PostgresBindings {
    /// One text parameter, `$1`, for a query whose SQL is spelled out (a schema or column name).
    init(text: String) {
        self.init()
        append(text, context: .default)
    }
}

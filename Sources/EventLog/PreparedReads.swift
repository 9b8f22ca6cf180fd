import Foundation
import NIOCore
import PostgresNIO

/// The columns an event is read back from: `envelope, hash, signature, global_position,
/// received_at, quarantine_reason`.
public typealias StoredEventRow = (ByteBuffer, ByteBuffer, ByteBuffer, Int64, Date, String?)

/// The log reads every staff request makes, as named prepared statements: each connection
/// of the pool parses and plans them once instead of on every request (parsing and
/// planning were a third of PostgreSQL's time under `tongban bench http`).
enum PreparedReads {
    static let eventColumns = "envelope, hash, signature, global_position, received_at, quarantine_reason"

    /// At most `limit` events after a global position, in global order.
    struct Batch: PostgresPreparedStatement {
        static let sql = "SELECT \(eventColumns) FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2"
        typealias Row = StoredEventRow
        let after: Int64
        let limit: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(after)
            bindings.append(limit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The event with a hash (a printed letter's verification code), quarantined or not.
    struct EventByHash: PostgresPreparedStatement {
        static let sql = "SELECT \(eventColumns) FROM events WHERE hash = $1 LIMIT 1"
        typealias Row = StoredEventRow
        let hash: EventHash

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(ByteBuffer(bytes: hash.bytes))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The accepted events of one stream from a version on, in stream order.
    struct StreamEvents: PostgresPreparedStatement {
        static let sql = """
            SELECT \(eventColumns) FROM events
             WHERE stream_id = $1 AND stream_version >= $2 AND quarantine_reason IS NULL
             ORDER BY stream_version
            """
        typealias Row = StoredEventRow
        let stream: String
        let fromVersion: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(stream)
            bindings.append(fromVersion)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The accepted events of several streams, in global order.
    struct EventsOfStreams: PostgresPreparedStatement {
        static let sql = """
            SELECT \(eventColumns) FROM events
             WHERE stream_id = ANY($1::text[]) AND quarantine_reason IS NULL ORDER BY global_position
            """
        typealias Row = StoredEventRow
        let streams: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(streams)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The first accepted event of each of several streams.
    struct FirstEvents: PostgresPreparedStatement {
        static let sql = """
            SELECT \(eventColumns) FROM events
             WHERE stream_id = ANY($1::text[]) AND stream_version = 1 AND quarantine_reason IS NULL
            """
        typealias Row = StoredEventRow
        let streams: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(streams)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The version a stream is at (0 when it does not exist).
    struct StreamVersion: PostgresPreparedStatement {
        static let sql = "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1 AND quarantine_reason IS NULL"
        typealias Row = Int64
        let stream: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(stream)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// The highest global position (0 when the log is empty).
    struct HeadPosition: PostgresPreparedStatement {
        static let sql = "SELECT coalesce(max(global_position), 0) FROM events"
        typealias Row = Int64

        func makeBindings() throws -> PostgresBindings { PostgresBindings() }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }
}

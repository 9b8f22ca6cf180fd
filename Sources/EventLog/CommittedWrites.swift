import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `query`, a write, in a transaction of its own and returns its rows once that
    /// transaction has committed: what a caller may be told has been written.
    ///
    /// A statement sent outside a transaction block commits only when PostgreSQL processes
    /// the Sync after it, after its CommandComplete, at which PostgresNIO already returns
    /// the rows. The commit can still fail then (a deferred constraint, a full disk, a
    /// primary lost before its synchronous standby confirmed), so those rows do not say
    /// that the write happened; an explicit `COMMIT` answers only once it has.
    public func committedQuery(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withTransaction(logger: logger) { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }
}

import Logging
import PostgresNIO

extension PostgresClient {
    /// The rows of a read-only prepared statement. A server error is tried once more as the
    /// same SQL unprepared: PostgresNIO keeps a failed preparation on its connection for
    /// good, so a statement first prepared before the migration it needs (a node started
    /// before `tongban migrate`) would otherwise fail on that connection until it closes.
    /// A read is safe to repeat, and an error that is not the preparation's fails again.
    public func rows<Statement: PostgresPreparedStatement>(of statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        do {
            var rows: [Statement.Row] = []
            for try await row in try await execute(statement, logger: logger) { rows.append(row) }
            return rows
        } catch let error as PSQLError where error.serverInfo != nil {
            logger.debug("a prepared read failed; trying it unprepared", metadata: ["statement": "\(Statement.name)", "error": "\(describePostgresError(error))"])
            var rows: [Statement.Row] = []
            for try await row in try await query(PostgresQuery(unsafeSQL: Statement.sql, binds: try statement.makeBindings()), logger: logger) {
                rows.append(try statement.decodeRow(row))
            }
            return rows
        }
    }
}

import PostgresNIO

/// One line for an operator about a PostgreSQL failure: the server's message and SQLSTATE,
/// unwrapped from PostgresNIO's transaction errors.
public func describePostgresError(_ error: any Error) -> String {
    if let transactionError = error as? PostgresTransactionError {
        if let closureError = transactionError.closureError { return describePostgresError(closureError) }
        if let commitError = transactionError.commitError { return "commit failed: \(describePostgresError(commitError))" }
        if let beginError = transactionError.beginError { return "begin failed: \(describePostgresError(beginError))" }
    }
    if let psqlError = error as? PSQLError {
        let message = psqlError.serverInfo?[.message] ?? "\(psqlError.code)"
        let state = psqlError.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return message + state
    }
    return String(describing: error)
}

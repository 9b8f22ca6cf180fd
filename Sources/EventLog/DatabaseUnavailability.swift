import PostgresNIO

/// Whether `error` says the database cannot be used now rather than that a request was
/// wrong: the connection failed or closed, the pool was shut down, the server is shutting
/// down or starting (SQLSTATE class 08, 57P01–57P03), or it refuses writes as a standby
/// does (25006). Such a failure is worth retrying once the node has its database back.
public func isDatabaseUnavailable(_ error: any Error) -> Bool {
    if let transactionError = error as? PostgresTransactionError {
        return [transactionError.closureError, transactionError.beginError, transactionError.commitError]
            .contains { $0.map(isDatabaseUnavailable) == true }
    }
    guard let psqlError = error as? PSQLError else { return false }
    switch psqlError.code {
    case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
        return true
    case .server:
        let state = psqlError.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "25006"].contains(state)
    default:
        return false
    }
}

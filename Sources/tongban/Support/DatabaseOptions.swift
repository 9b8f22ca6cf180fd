import ArgumentParser
import EventLog
import Foundation
import Logging
import PostgresNIO

/// `--database-url`, shared by the commands that work on one node's database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "The node's PostgreSQL, postgres://user@host:port/database; a primary and its standbys as postgres://user@host1:port1,host2:port2/database?target_session_attrs=read-write (default: $TONGBAN_DATABASE_URL).",
        valueName: "url"))
    var databaseURL: String?

    func resolved() throws -> DatabaseURL {
        guard let text = databaseURL ?? Environment.value("TONGBAN_DATABASE_URL") else {
            throw ValidationError("no database: pass --database-url or set TONGBAN_DATABASE_URL")
        }
        return try DatabaseURL(text)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// PostgreSQL did not answer in time (or refused the connection).
struct DatabaseUnreachable: Error, CustomStringConvertible {
    let url: DatabaseURL
    let reason: String

    var description: String { "cannot reach PostgreSQL at \(url): \(reason)" }
}

/// Runs `body` with a connected client, first checking within `timeout` that the database
/// answers; of a URL with several hosts (or `target_session_attrs=read-write`), on the
/// first host it accepts (``PrimaryLocator``).
func withRunningClient<Result: Sendable>(
    _ url: DatabaseURL, logger: Logger = Logger(label: "tongban"), timeout: Duration = .seconds(10),
    _ body: (PostgresClient) async throws -> Result
) async throws -> Result {
    var configuration = url.configuration
    if url.followsPrimary {
        do {
            configuration = url.configuration(for: try await PrimaryLocator(url: url, timeout: min(timeout, .seconds(5))).locate(logger: logger).host)
        } catch {
            throw DatabaseUnreachable(url: url, reason: "\(error)")
        }
    }
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await checkReachable(client, url: url, timeout: timeout)
        return try await body(client)
    }
}

private func checkReachable(_ client: PostgresClient, url: DatabaseURL, timeout: Duration) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            do {
                _ = try await client.query("SELECT 1")
                return true
            } catch {
                throw DatabaseUnreachable(url: url, reason: describePostgresError(error))
            }
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return false
        }
        defer { group.cancelAll() }
        guard try await group.next() == true else {
            throw DatabaseUnreachable(url: url, reason: "no answer within \(timeout) (is it running, is the port right?)")
        }
    }
}

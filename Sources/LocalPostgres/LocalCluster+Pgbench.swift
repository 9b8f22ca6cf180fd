import Foundation

extension LocalCluster {
    /// What one pgbench run measured.
    public struct PgbenchResult: Sendable {
        /// Transactions per second, without the time to open the connections.
        public var transactionsPerSecond: Double
        /// pgbench's report, for a message when something looks wrong.
        public var report: String
    }

    /// Runs PostgreSQL's own load client against `database` of this cluster: `script` (a
    /// pgbench custom script) as `user` over loopback, `clients` connections on `threads`
    /// threads for `seconds`, and no vacuum of pgbench's own tables. `protocol` is pgbench's
    /// `-M`: `prepared` (parsed once per connection), `extended` (parsed at every execution,
    /// as an unnamed statement, as PostgresNIO's plain queries are) or `simple`.
    public func pgbench(database: String, user: String, script: String, clients: Int, threads: Int, seconds: Int,
                        protocol: String = "prepared") throws(LocalClusterError) -> PgbenchResult {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-pgbench-\(UUID().uuidString).sql").path
        do {
            try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arguments = [binDirectory + "/pgbench", "-n", "-M", `protocol`, "-c", String(clients), "-j", String(threads), "-T", String(seconds),
                         "-h", "127.0.0.1", "-p", String(port), "-U", user, "-f", path, database]
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(arguments, captureOutput: true)
        } catch {
            throw .commandFailed(command: arguments.joined(separator: " "), status: -1, output: "\(error)")
        }
        guard outcome.status == 0,
              let line = outcome.output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let tps = Double(line.dropFirst("tps = ".count).prefix { $0 != " " })
        else { throw .commandFailed(command: arguments.joined(separator: " "), status: outcome.status, output: outcome.output) }
        return PgbenchResult(transactionsPerSecond: tps, report: outcome.output)
    }
}

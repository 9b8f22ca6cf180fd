import Foundation

/// A private PostgreSQL cluster (15 or later, the newest installed) in a directory of the
/// project's: the embedded default that `tongban dev`, the tests and the benchmarks run on.
///
/// It listens on 127.0.0.1 only, on its own port, with no Unix socket, and trusts
/// loopback connections: it is for development and tests, never for a real node.
/// When the process runs as root the server runs as the `postgres` user (PostgreSQL
/// refuses root), through `runuser`.
public struct LocalCluster: Sendable {
    /// The superuser, created by `initdb`.
    public static let superuser = "postgres"
    /// The role that owns a node's tables and runs its migrations.
    public static let ownerRole = "tongban_owner"
    /// The role a node's service connects as: it may read and insert events, nothing else.
    public static let serviceRole = "tongban_service"

    public let dataDirectory: String
    public let port: Int
    public let binDirectory: String

    /// The server's log file, inside the data directory (the server user can write there).
    public var logFile: String { dataDirectory + "/server.log" }

    /// - Parameters:
    ///   - dataDirectory: where the cluster lives (created on first start); made absolute.
    ///   - binDirectory: PostgreSQL's server programs; by default `TONGBAN_PG_BINDIR`, else
    ///     the newest `/usr/lib/postgresql/<major>/bin` (15 or later), else `pg_config --bindir`.
    public init(dataDirectory: String, port: Int, binDirectory: String? = nil) throws(LocalClusterError) {
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.port = port
        if let binDirectory {
            self.binDirectory = binDirectory
        } else {
            self.binDirectory = try Self.findBinDirectory()
        }
    }

    /// Whether a server is running on this data directory.
    public var isRunning: Bool {
        (try? run(tool: "pg_ctl", ["-D", dataDirectory, "status"], asServerUser: true)) != nil
    }

    /// Initialises the cluster if its directory is empty, starts it unless it runs
    /// already, and creates the two tongban roles. Returns whether it was started now.
    @discardableResult
    public func start(progress: (String) -> Void = { _ in }) throws(LocalClusterError) -> Bool {
        let manager = FileManager.default
        if !manager.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            progress("initialising a PostgreSQL cluster in \(dataDirectory)")
            try createDirectory(dataDirectory)
            try requireServerUserCanEnter(dataDirectory)
            try run(tool: "initdb", ["-D", dataDirectory, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions"], asServerUser: true)
        }
        try writeSettings()
        let startsNow = !isRunning
        if startsNow {
            try startServer(progress: progress)
        }
        try psql("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.ownerRole)') THEN CREATE ROLE \(Self.ownerRole) LOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.serviceRole)') THEN CREATE ROLE \(Self.serviceRole) LOGIN; END IF;
            END $$;
            """)
        return startsNow
    }

    private func startServer(progress: (String) -> Void) throws(LocalClusterError) {
        progress("starting PostgreSQL on 127.0.0.1:\(port)")
        do {
            // The server outlives pg_ctl: it must not inherit our pipes, or reading them never ends.
            try run(tool: "pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"], asServerUser: true, captureOutput: false)
        } catch {
            throw .startFailed(dataDirectory: dataDirectory, port: port, logTail: Self.tail(of: logFile))
        }
    }

    /// Stops the server (fast shutdown: open transactions roll back), if it runs.
    public func stop() throws(LocalClusterError) {
        guard isRunning else { return }
        try run(tool: "pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], asServerUser: true)
    }

    /// Creates database `name` owned by the owner role unless it exists; returns whether it was created.
    @discardableResult
    public func createDatabase(_ name: String) throws(LocalClusterError) -> Bool {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !name.isEmpty else {
            throw .invalidName(name)
        }
        let exists = try psql("SELECT 1 FROM pg_database WHERE datname = '\(name)'")
        guard exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" else { return false }
        try psql("CREATE DATABASE \(name) OWNER \(Self.ownerRole)")
        return true
    }

    /// Drops database `name` if it exists, closing its connections.
    public func dropDatabase(_ name: String) throws(LocalClusterError) {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !name.isEmpty else {
            throw .invalidName(name)
        }
        try psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// A `postgres://` URL for `user` on `database` of this cluster.
    public func url(user: String, database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL as the superuser through `psql`; returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws(LocalClusterError) -> String {
        try run(tool: "psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", Self.superuser, "-d", database, "-c", sql], asServerUser: false)
    }

    private func writeSettings() throws(LocalClusterError) {
        let settings = """
            # written by tongban: a private development cluster
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''
            max_connections = 1000
            """
        let path = dataDirectory + "/tongban.conf"
        do {
            try Data((settings + "\n").utf8).write(to: URL(fileURLWithPath: path))
            let conf = dataDirectory + "/postgresql.conf"
            let current = try String(contentsOfFile: conf, encoding: .utf8)
            if !current.contains("include_if_exists = 'tongban.conf'") {
                try Data((current + "\ninclude_if_exists = 'tongban.conf'\n").utf8).write(to: URL(fileURLWithPath: conf))
            }
        } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
        if Self.isRoot { _ = try? run(tool: "/bin/chown", ["postgres:postgres", path], asServerUser: false) }
    }

    func createDirectory(_ path: String) throws(LocalClusterError) {
        do {
            // The parents stay traversable for the server user; only the data directory is private.
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
        if Self.isRoot { try run(tool: "/bin/chown", ["postgres:postgres", path], asServerUser: false) }
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Runs a PostgreSQL program (as the `postgres` user when we are root and it is a server program).
    @discardableResult
    func run(tool: String, _ arguments: [String], asServerUser: Bool, captureOutput: Bool = true) throws(LocalClusterError) -> String {
        let executable = tool.hasPrefix("/") ? tool : binDirectory + "/" + tool
        var command = [executable] + arguments
        if asServerUser, Self.isRoot { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        let outcome: ChildProcess.Outcome
        do { outcome = try ChildProcess.run(command, captureOutput: captureOutput) } catch {
            throw .commandFailed(command: command.joined(separator: " "), status: -1, output: "\(error)")
        }
        guard outcome.status == 0 else {
            throw .commandFailed(command: command.joined(separator: " "), status: outcome.status, output: outcome.output)
        }
        return outcome.output
    }

    private static func findBinDirectory() throws(LocalClusterError) -> String {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["TONGBAN_PG_BINDIR"] { candidates.append(configured) }
        candidates += installedMajors().map { "/usr/lib/postgresql/\($0)/bin" }
        if let outcome = try? ChildProcess.run(["/usr/bin/env", "pg_config", "--bindir"], captureOutput: true), outcome.status == 0 {
            candidates.append(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate + "/initdb") {
            return candidate
        }
        throw .postgresNotFound(searched: candidates)
    }

    /// The PostgreSQL majors Debian has installed under `/usr/lib/postgresql` that tongban
    /// runs on (15 or later), newest first.
    static func installedMajors(under root: String = "/usr/lib/postgresql") -> [Int] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.compactMap(Int.init).filter { $0 >= minimumMajor }.sorted(by: >)
    }

    /// The oldest PostgreSQL major tongban runs on.
    public static let minimumMajor = 15

    /// Refuses, with the reason, a data directory the server user cannot reach — a checkout
    /// under `/root`, say — before `initdb` fails there with a bare permission error.
    private func requireServerUserCanEnter(_ path: String) throws(LocalClusterError) {
        guard Self.isRoot else { return }
        let probe = (try? ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "/usr/bin/test", "-w", path], captureOutput: true))?.status
        guard probe != 0 else { return }
        var blocking = URL(fileURLWithPath: path)
        var current = blocking.deletingLastPathComponent()
        while current.path != "/" {
            let status = (try? ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "/usr/bin/test", "-x", current.path], captureOutput: true))?.status
            if status != 0 { blocking = current }
            current = current.deletingLastPathComponent()
        }
        throw .serverUserCannotEnter(dataDirectory: path, blockedAt: blocking.path)
    }

    private static func tail(of path: String, lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Why the private cluster could not be used.
public enum LocalClusterError: Error, CustomStringConvertible {
    case postgresNotFound(searched: [String])
    case commandFailed(command: String, status: Int32, output: String)
    case startFailed(dataDirectory: String, port: Int, logTail: String)
    case cannotWrite(path: String, reason: String)
    case invalidName(String)
    case serverUserCannotEnter(dataDirectory: String, blockedAt: String)

    public var description: String {
        switch self {
        case .postgresNotFound(let searched):
            "PostgreSQL's server programs (initdb, pg_ctl) were not found in \(searched.joined(separator: ", ")); install Debian's postgresql (\(LocalCluster.minimumMajor) or later) or set TONGBAN_PG_BINDIR"
        case .commandFailed(let command, let status, let output):
            "\(command) failed (exit \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .startFailed(let directory, let port, let log):
            "PostgreSQL in \(directory) did not start on port \(port) (is the port taken?). Its log ends:\n\(log)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        case .invalidName(let name):
            "'\(name)' is not a usable database name (letters, digits, _)"
        case .serverUserCannotEnter(let directory, let blocked):
            "the postgres user cannot reach \(directory): it may not enter \(blocked). Put the cluster where it can "
                + "(--pg-data, or TONGBAN_TEST_PG_DATA for the tests, e.g. /var/tmp/tongban-pg) or let it enter (chmod o+x \(blocked))"
        }
    }
}

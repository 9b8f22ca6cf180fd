import Foundation

/// PostgreSQL's own streaming replication between two private clusters on this machine: a
/// primary and a standby made from it with `pg_basebackup -R`, the primary waiting for the
/// standby on every commit, and the standby promoted when the primary is lost — what
/// `deploy/replication/` describes for two machines, on loopback for the tests.
extension LocalCluster {
    /// The role a standby streams the primary's WAL as (`REPLICATION`, nothing else).
    public static let replicationRole = "tongban_replicator"

    /// Makes this cluster, whose directory must not hold one yet, a hot standby of
    /// `primary` (running) and starts it: a base backup streamed with its WAL, the
    /// `standby.signal` and `primary_conninfo` that `-R` writes (as `replicationRole`,
    /// `application_name` `name` — what the primary's `synchronous_standby_names` names).
    public func startAsStandby(of primary: LocalCluster, name: String, progress: (String) -> Void = { _ in }) throws(LocalClusterError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else { throw .invalidName(name) }
        guard !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else {
            throw .cannotWrite(path: dataDirectory, reason: "it holds a cluster already; a standby starts from an empty directory")
        }
        try primary.psql("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.replicationRole)') THEN CREATE ROLE \(Self.replicationRole) LOGIN REPLICATION; END IF;
            END $$;
            """)
        progress("copying the primary on port \(primary.port) into \(dataDirectory)")
        try createDirectory(dataDirectory)
        try run(tool: "pg_basebackup", ["-d", "host=127.0.0.1 port=\(primary.port) user=\(Self.replicationRole) application_name=\(name)",
                                        "-D", dataDirectory, "-R", "-X", "stream", "-c", "fast"], asServerUser: true)
        try start(progress: progress)
    }

    /// Makes every commit on this primary wait until standby `name` has flushed it
    /// (`synchronous_standby_names`, `synchronous_commit = on`), from now on.
    public func requireSynchronousStandby(_ name: String) throws(LocalClusterError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else { throw .invalidName(name) }
        try psql("ALTER SYSTEM SET synchronous_standby_names = '\(name)'")
        try psql("ALTER SYSTEM SET synchronous_commit = 'on'")
        try psql("SELECT pg_reload_conf()")
    }

    /// The standbys streaming from this primary and their `sync_state` (`sync`, `async`…),
    /// by `application_name`.
    public func standbys() throws(LocalClusterError) -> [String: String] {
        let rows = try psql("SELECT application_name || '=' || sync_state FROM pg_stat_replication WHERE state = 'streaming'")
        return Dictionary(rows.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether this cluster is a standby (`pg_is_in_recovery()`).
    public func isInRecovery() throws(LocalClusterError) -> Bool {
        try psql("SELECT pg_is_in_recovery()").trimmingCharacters(in: .whitespacesAndNewlines) == "t"
    }

    /// Promotes this standby to a primary and waits until it takes writes.
    public func promote() throws(LocalClusterError) {
        try run(tool: "pg_ctl", ["-D", dataDirectory, "-w", "-t", "60", "promote"], asServerUser: true)
    }

    /// Stops the server at once, as a crash or a lost machine would: no checkpoint,
    /// connections cut (`pg_ctl -m immediate`).
    public func crash() throws(LocalClusterError) {
        guard isRunning else { return }
        try run(tool: "pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], asServerUser: true)
    }
}

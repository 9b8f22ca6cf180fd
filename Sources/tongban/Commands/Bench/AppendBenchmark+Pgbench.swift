import CaseDomain
import Foundation
import LocalPostgres

/// The physical limit the appender is measured against: PostgreSQL's own client, pgbench,
/// with prepared statements at 8 connections on 2 threads, inserting rows of the events
/// table's shape into the same plain table (same columns and indexes, no trigger) in the same
/// run: one row per transaction, and a hundred.
extension AppendBenchmark {
    /// Runs pgbench for both shapes and prints `pgbench_<n>_per_tx_8` (rows/s) and the
    /// appender's ratio to it at the same shape, `ratio_append_<n>_per_call_8_pgbench`.
    func comparePgbench(with appended: [String: Double], on database: BenchDatabase) throws {
        for rows in [1, 100] {
            BenchFigures.say("measuring pgbench_\(rows)_per_tx_8 (\(Int(seconds.rounded(.up))) s)")
            let result = try database.cluster.pgbench(database: database.name, user: LocalCluster.serviceRole, script: Self.pgbenchScript(rows: rows),
                                                      clients: 8, threads: 2, seconds: max(1, Int(seconds.rounded(.up))))
            let rowsPerSecond = result.transactionsPerSecond * Double(rows)
            print("pgbench_\(rows)_per_tx_8 \(Int(rowsPerSecond)) rows/s")
            if let appender = appended["\(rows)_per_call_8"] {
                print("ratio_append_\(rows)_per_call_8_pgbench \(String(format: "%.2f", appender / rowsPerSecond))")
            }
        }
        // Why a Swift client's round trip costs more: the same one-row transactions with the
        // statement parsed at every execution, as PostgresNIO's unnamed statements are.
        BenchFigures.say("measuring pgbench_extended_1_per_tx_8 (\(Int(seconds.rounded(.up))) s)")
        let extended = try database.cluster.pgbench(database: database.name, user: LocalCluster.serviceRole, script: Self.pgbenchScript(rows: 1),
                                                    clients: 8, threads: 2, seconds: max(1, Int(seconds.rounded(.up))), protocol: "extended")
        print("pgbench_extended_1_per_tx_8 \(Int(extended.transactionsPerSecond)) rows/s")
    }

    /// A pgbench script that inserts `rows` rows per transaction, as ``plainInsert(rows:client:)``
    /// does: the sample application's body as the envelope, random positions in one stream,
    /// hash and signature columns of their real sizes.
    static func pgbenchScript(rows: Int) -> String {
        let envelope = hex(try! CanonicalJSON.encode(sampleEvent().body))
        let hash = hex(Array(filler.hash.readableBytesView))
        let signature = hex(Array(filler.signature.readableBytesView))
        let columns = """
            event_id, origin_node, origin_seq, stream_id, stream_version, type, schema_version,
            recorded_at, actor_centre, actor_staff, envelope, prev_hash, hash, signature, quarantine_reason
            """
        let values = { (sequence: String) in
            "gen_random_uuid(), 'bench', \(sequence), 'plain-stream', \(sequence), 'ApplicationSubmitted', 1, now(), 'rizhao-wulian', 'bench', "
                + "'\\x\(envelope)'::bytea, '\\x\(hash)'::bytea, '\\x\(hash)'::bytea, '\\x\(signature)'::bytea, NULL"
        }
        if rows == 1 {
            return """
                \\set seq random(1, 9000000000000000000)
                INSERT INTO plain_events (\(columns)) VALUES (\(values(":seq")));

                """
        }
        return """
            INSERT INTO plain_events (\(columns))
            SELECT \(values("s")) FROM (SELECT (random() * 9e18)::bigint AS s FROM generate_series(1, \(rows))) AS r;

            """
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

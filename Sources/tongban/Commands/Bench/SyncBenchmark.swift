import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import Logging
import NodeServer
import PostgresNIO
import ServiceLifecycle

/// `tongban bench sync`: two city nodes on loopback. An empty peer catches up with a node's
/// log through the sync worker (signed pulls, verified imports), against plain PostgreSQL
/// copying the same rows between the same two databases; then the time from a transfer
/// written at one node to the incoming transfer in the target centre's inbox on the other,
/// under a steady load.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Events/s of a peer's catch-up against a plain COPY of the same rows; transfer-to-inbox latency between two nodes."
    )

    @Option(help: "Events to generate at the source node and catch up at the empty peer.")
    var events = 100_000

    @Option(help: "Transfers per second written at the source while latency is measured.")
    var writesPerSecond = 20.0

    @Option(help: "Seconds of that steady load.")
    var loadSeconds = 15.0

    @Option(help: "The first of the two nodes' HTTP ports on 127.0.0.1.")
    var port = 18_710

    @OptionGroup var cluster: BenchClusterOptions

    private static let sourceNode = NodeID(rawValue: "rizhao")!
    private static let targetNode = NodeID(rawValue: "qingdao")!

    func run() async throws {
        guard events > 0, writesPerSecond > 0, loadSeconds > 0 else {
            throw ValidationError("--events, --writes-per-second and --load-seconds must be positive")
        }
        let keys = [Self.sourceNode: NodeSigningKey.generate(for: Self.sourceNode), Self.targetNode: NodeSigningKey.generate(for: Self.targetNode)]
        let federation = try twoNodeFederation(keys: keys)
        let workload = try BenchWorkload(federation: federation, centresOf: Self.sourceNode)
        let source = try await cluster.database("bench_sync_source")
        let target = try await cluster.database("bench_sync_target")
        var logger = Logger(label: "bench-sync")
        logger.logLevel = .error
        let expected = try cluster.schema.migrator().latestVersion

        let sourceRunning = await NodeServer.assemble(
            configuration: NodeServer.Configuration(federation: federation, signingKey: keys[Self.sourceNode]!, expectedSchemaVersion: expected),
            database: try source.configuration(LocalCluster.serviceRole), host: "127.0.0.1", port: port, projecting: false, logger: logger)
        let sourceNodes = ServiceGroup(services: sourceRunning.services, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sourceNodes.run() }
            do {
                let appender = EventAppender(client: sourceRunning.client, signingKey: keys[Self.sourceNode]!, keyring: federation.keyring, logger: logger)
                let generated = try await generate(workload, appender: appender, reader: EventReader(client: sourceRunning.client))
                try await waitForReady(federation: federation, key: keys[Self.targetNode]!)
                let syncRate = try await measureCatchUp(generated, federation: federation, key: keys[Self.targetNode]!, target: target, logger: logger)
                let copyRate = try await measurePlainCopy(from: sourceRunning.client, into: target)
                print("sync_catchup_events_per_s \(Int(syncRate)) events/s")
                print("plain_copy_rows_per_s \(Int(copyRate)) rows/s")
                print("ratio_sync_catchup \(String(format: "%.3f", syncRate / copyRate))")
                try await measureTransferToInbox(workload: workload, appender: appender, federation: federation,
                                                 key: keys[Self.targetNode]!, target: target, expected: expected, logger: logger)
            } catch {
                await sourceNodes.triggerGracefulShutdown()
                throw error
            }
            await sourceNodes.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// The workload's federation reduced to the two nodes, on loopback, with fresh keys.
    private func twoNodeFederation(keys: [NodeID: NodeSigningKey]) throws -> FederationFile {
        var federation = try FederationFile.load(path: cluster.federation, requirePublicKeys: false)
        federation.nodes = federation.nodes.filter { keys[$0.id] != nil }
        guard federation.nodes.count == 2 else {
            throw ValidationError("\(cluster.federation) must name the nodes \(Self.sourceNode) and \(Self.targetNode)")
        }
        for index in federation.nodes.indices {
            let node = federation.nodes[index].id
            federation.nodes[index].url = "http://127.0.0.1:\(port + (node == Self.sourceNode ? 0 : 1))"
            federation.nodes[index].publicKey = keys[node]!.publicKeyBase64
        }
        return federation
    }

    /// Fills the source's log with at least `events` events of the source's own centres.
    private func generate(_ workload: BenchWorkload, appender: EventAppender, reader: EventReader) async throws -> Int64 {
        let start = ContinuousClock.now
        var head: Int64 = 0
        while head < Int64(events) {
            let chunk = max(200, Int(Double(Int64(events) - head) / 5.5))
            try await workload.generate(cases: chunk, appender: appender) { _ in }
            head = try await reader.headPosition()
            BenchFigures.say("generated \(head)/\(events) events")
        }
        print("generated_events \(head) events")
        print("generate_events_per_s \(Int(Double(head) / BenchFigures.seconds(ContinuousClock.now - start))) events/s")
        return head
    }

    private func waitForReady(federation: FederationFile, key: NodeSigningKey) async throws {
        let client = PeerClient(federation: federation, key: key)
        guard let source = client.peers.first(where: { $0.id == Self.sourceNode }) else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.send("GET", "/ready", to: source, timeout: .seconds(2)), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the source node did not answer /ready at \(source.url) within 30 s (is the port free?)")
    }

    /// The empty peer pulls until it holds the source's whole log: signed requests, every
    /// event's hash, signature and chain checked, and the writer rules judged, as in `serve`.
    private func measureCatchUp(_ generated: Int64, federation: FederationFile, key: NodeSigningKey, target: BenchDatabase, logger: Logger) async throws -> Double {
        let client = PostgresClient(configuration: try target.configuration(LocalCluster.serviceRole))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let reader = EventReader(client: client)
            let appender = EventAppender(client: client, signingKey: key, keyring: federation.keyring, writerRules: CaseStreamWriters(), logger: logger)
            let worker = SyncWorker(federation: federation, key: key, appender: appender, reader: reader,
                                    notifier: LogNotifier(client: client, logger: logger), logger: logger)
            let start = ContinuousClock.now
            var held: Int64 = 0
            while held < generated {
                guard await worker.syncOnce() > 0 else {
                    let error = await worker.peerStatus.first?.lastError ?? "nothing imported"
                    throw ValidationError("the catch-up stopped at \(held)/\(generated) events: \(error)")
                }
                held = try await reader.headPosition()
                BenchFigures.say("caught up \(held)/\(generated) events")
            }
            let seconds = BenchFigures.seconds(ContinuousClock.now - start)
            let quarantined = try await client.query("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL")
            for try await count in quarantined.decode(Int.self) where count > 0 {
                throw ValidationError("\(count) caught-up events were quarantined: the benchmark's workload broke the writer rules")
            }
            return Double(held) / seconds
        }
    }

    /// What plain PostgreSQL does for the same catch-up: read the source's rows in pull-sized
    /// batches and COPY them into a table shaped like the log (its columns and indexes) in
    /// the target database; no checks, no signatures, no HTTP.
    private func measurePlainCopy(from source: PostgresClient, into target: BenchDatabase) async throws -> Double {
        let client = PostgresClient(configuration: try target.configuration(LocalCluster.ownerRole))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let logger = Logger(label: "bench-sync")
            _ = try await client.query("DROP TABLE IF EXISTS bench_plain_events")
            _ = try await client.query("CREATE TABLE bench_plain_events (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
            let start = ContinuousClock.now
            var copied = 0
            try await client.withConnection { connection in
                try await connection.copyFrom(table: "bench_plain_events", columns: Self.copiedColumns, logger: logger) { writer in
                    var position: Int64 = 0
                    while true {
                        let rows = try await source.query("""
                            SELECT global_position, concat_ws(E'\\t', global_position, event_id, origin_node, origin_seq, stream_id, stream_version, type,
                                   schema_version, recorded_at, coalesce(actor_centre, '\\N'), actor_staff, '\\\\x' || encode(envelope, 'hex'),
                                   '\\\\x' || encode(prev_hash, 'hex'), '\\\\x' || encode(hash, 'hex'), '\\\\x' || encode(signature, 'hex'))
                              FROM events WHERE global_position > \(position) ORDER BY global_position LIMIT 2000
                            """)
                        var batch = ByteBuffer()
                        var count = 0
                        for try await (next, line) in rows.decode((Int64, String).self) {
                            batch.writeString(line)
                            batch.writeString("\n")
                            position = next
                            count += 1
                        }
                        guard count > 0 else { break }
                        try await writer.write(batch)
                        copied += count
                    }
                }
            }
            let rate = Double(copied) / BenchFigures.seconds(ContinuousClock.now - start)
            _ = try await client.query("DROP TABLE bench_plain_events")
            return rate
        }
    }

    private static let copiedColumns = ["global_position", "event_id", "origin_node", "origin_seq", "stream_id", "stream_version", "type",
                                        "schema_version", "recorded_at", "actor_centre", "actor_staff", "envelope", "prev_hash", "hash", "signature"]

    /// Starts the caught-up peer as a node (sync worker, projector, server) and, at a steady
    /// rate, writes transfers at the source to a centre of the peer; each latency runs from
    /// the transfer's acknowledgement to its row in the target centre's inbox.
    private func measureTransferToInbox(workload: BenchWorkload, appender: EventAppender, federation: FederationFile, key: NodeSigningKey,
                                        target: BenchDatabase, expected: Int, logger: Logger) async throws {
        let targetRunning = await NodeServer.assemble(
            configuration: NodeServer.Configuration(federation: federation, signingKey: key, expectedSchemaVersion: expected),
            database: try target.configuration(LocalCluster.serviceRole), host: "127.0.0.1", port: port + 1, logger: logger)
        let targetNode = ServiceGroup(services: targetRunning.services, logger: logger)
        let intake = try centre(of: Self.sourceNode, in: federation, preferring: "rizhao-wulian")
        let destination = try centre(of: Self.targetNode, in: federation, preferring: "qingdao-licang")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await targetNode.run() }
            do {
                let watcher = targetRunning.client
                BenchFigures.say("the peer's projector catches up with the log before the load starts")
                try await waitUntilProjected(watcher)
                let arrivals = ArrivalRecorder()
                let end = ContinuousClock.now + .milliseconds(Int(loadSeconds * 1000))
                let interval = Duration.seconds(1) / writesPerSecond
                try await withThrowingTaskGroup(of: Void.self) { load in
                    load.addTask { try await arrivals.watch(watcher) }
                    var index = 0
                    while ContinuousClock.now < end {
                        let next = ContinuousClock.now + interval
                        let append = try workload.transferAppend(index, from: intake, to: destination)
                        _ = try await appender.appendAtomically([append])
                        await arrivals.written(StreamID.caseID(ofStream: append.stream) ?? append.stream, at: ContinuousClock.now)
                        index += 1
                        try await Task.sleep(until: next)
                    }
                    let deadline = ContinuousClock.now + .seconds(30)
                    while await arrivals.waiting > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                    load.cancelAll()
                }
                let (latencies, missing) = await arrivals.outcome
                guard missing == 0 else { throw ValidationError("\(missing) transfer(s) never reached the inbox on \(Self.targetNode) within 30 s") }
                print("transfers_measured \(latencies.count) transfers")
                print("transfer_to_inbox_p50_ms \(String(format: "%.1f", BenchFigures.quantile(latencies, 0.5))) ms")
                print("transfer_to_inbox_p99_ms \(String(format: "%.1f", BenchFigures.quantile(latencies, 0.99))) ms")
            } catch {
                await targetNode.triggerGracefulShutdown()
                throw error
            }
            await targetNode.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    private func centre(of node: NodeID, in federation: FederationFile, preferring preferred: String) throws -> CentreID {
        let centres = federation.nodes.first { $0.id == node }?.centres.map(\.id) ?? []
        guard let first = centres.first else { throw ValidationError("node \(node) has no centres in \(cluster.federation)") }
        return centres.first { $0.rawValue == preferred } ?? first
    }

    private func waitUntilProjected(_ client: PostgresClient) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let rows = try await client.query("""
                SELECT (SELECT coalesce(max(global_position), 0) FROM events) - (SELECT position FROM projections.checkpoints WHERE projection = 'inbox')
                """)
            for try await behind in rows.decode(Int64?.self) where behind == 0 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("the peer's inbox projection did not catch up within 600 s")
    }
}

/// When each transfer was acknowledged at the source and when it showed in the target inbox.
private actor ArrivalRecorder {
    private var pending: [String: ContinuousClock.Instant] = [:]
    private var latencies: [Double] = []

    var waiting: Int { pending.count }
    var outcome: (latencies: [Double], missing: Int) { (latencies, pending.count) }

    func written(_ caseID: String, at instant: ContinuousClock.Instant) {
        pending[caseID] = instant
    }

    private func arrived(_ caseIDs: [String], at instant: ContinuousClock.Instant) {
        for caseID in caseIDs {
            if let written = pending.removeValue(forKey: caseID) {
                latencies.append(BenchFigures.seconds(instant - written) * 1000)
            }
        }
    }

    /// Polls the target's inbox every 2 ms for the transfers still on their way.
    func watch(_ client: PostgresClient) async throws {
        while !Task.isCancelled {
            if !pending.isEmpty {
                let ids = Array(pending.keys)
                let rows = try await client.query("""
                    SELECT case_id FROM projections.inbox_items WHERE kind = 'incoming-transfer' AND case_id = ANY(\(ids))
                    """)
                var found: [String] = []
                for try await caseID in rows.decode(String.self) { found.append(caseID) }
                arrived(found, at: ContinuousClock.now)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

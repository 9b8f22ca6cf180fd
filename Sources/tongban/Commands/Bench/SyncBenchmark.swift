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
/// under a steady load. Both are measured over plain http and again over https (a private
/// CA, a certificate per node, as `serve --tls-cert` runs), each with a peer of its own.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Events/s of a peer's catch-up against a plain COPY of the same rows; transfer-to-inbox latency between two nodes; over http and https."
    )

    @Option(help: "Events to generate at the source node and catch up at the empty peer.")
    var events = 100_000

    @Option(help: "Transfers per second written at the source while latency is measured.")
    var writesPerSecond = 20.0

    @Option(help: "Seconds of that steady load (over http, then again over https).")
    var loadSeconds = 15.0

    @Option(help: "The first of four HTTP ports on 127.0.0.1: source and peer over http, then over https.")
    var port = 18_710

    @OptionGroup var cluster: BenchClusterOptions

    static let sourceNode = NodeID(rawValue: "rizhao")!
    static let targetNode = NodeID(rawValue: "qingdao")!

    /// One way of reaching the nodes: its federation (URLs), each node's TLS, its empty peer.
    struct Transport {
        /// What its figures' names end with: "" over http, "_tls" over https.
        let suffix: String
        let federation: FederationFile
        let tls: [NodeID: FederationTLS]
        let port: Int
        let target: BenchDatabase
    }

    func run() async throws {
        try await cluster.withCluster { _ in try await measureOnCluster() }
    }

    private func measureOnCluster() async throws {
        guard events > 0, writesPerSecond > 0, loadSeconds > 0 else {
            throw ValidationError("--events, --writes-per-second and --load-seconds must be positive")
        }
        let keys = [Self.sourceNode: NodeSigningKey.generate(for: Self.sourceNode), Self.targetNode: NodeSigningKey.generate(for: Self.targetNode)]
        let http = try twoNodeFederation(keys: keys, scheme: "http", port: port)
        let workload = try BenchWorkload(federation: http, centresOf: Self.sourceNode)
        let source = try await cluster.database("bench_sync_source")
        let transports = [
            Transport(suffix: "", federation: http, tls: [:], port: port, target: try await cluster.database("bench_sync_target")),
            Transport(suffix: "_tls", federation: try twoNodeFederation(keys: keys, scheme: "https", port: port + 2),
                      tls: try Self.privateCA(for: Array(keys.keys)), port: port + 2, target: try await cluster.database("bench_sync_target_tls")),
        ]
        var logger = Logger(label: "bench-sync")
        logger.logLevel = .error
        let expected = try cluster.schema.migrator().latestVersion

        let writer = PostgresClient(configuration: try source.configuration(LocalCluster.serviceRole))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await writer.run() }
            defer { group.cancelAll() }
            let appender = EventAppender(client: writer, signingKey: keys[Self.sourceNode]!, keyring: http.keyring, logger: logger)
            try await generate(workload, appender: appender, reader: EventReader(client: writer))
            var catchUp: [String: Double] = [:]
            for transport in transports {
                catchUp[transport.suffix] = try await withSource(transport, database: source, key: keys[Self.sourceNode]!, expected: expected,
                                                                 logger: logger) {
                    let rate = try await measureCatchUp(transport, head: try await EventReader(client: writer).headPosition(),
                                                        key: keys[Self.targetNode]!, logger: logger)
                    print("sync_catchup\(transport.suffix)_events_per_s \(Int(rate)) events/s")
                    try await measureTransferToInbox(transport, workload: workload, appender: appender, key: keys[Self.targetNode]!,
                                                     expected: expected, logger: logger)
                    return rate
                }
            }
            let copyRate = try await measurePlainCopy(from: writer, into: transports[0].target)
            print("plain_copy_rows_per_s \(Int(copyRate)) rows/s")
            for transport in transports {
                print("ratio_sync_catchup\(transport.suffix) \(String(format: "%.3f", catchUp[transport.suffix]! / copyRate))")
            }
            print("ratio_sync_catchup_tls_to_http \(String(format: "%.3f", catchUp["_tls"]! / catchUp[""]!))")
        }
    }

    /// The workload's federation reduced to the two nodes, on loopback at `port` and the
    /// next, over `scheme`, with the given keys.
    private func twoNodeFederation(keys: [NodeID: NodeSigningKey], scheme: String, port: Int) throws -> FederationFile {
        var federation = try FederationFile.load(path: cluster.federation, requirePublicKeys: false)
        federation.nodes = federation.nodes.filter { keys[$0.id] != nil }
        guard federation.nodes.count == 2 else {
            throw ValidationError("\(cluster.federation) must name the nodes \(Self.sourceNode) and \(Self.targetNode)")
        }
        for index in federation.nodes.indices {
            let node = federation.nodes[index].id
            federation.nodes[index].url = "\(scheme)://127.0.0.1:\(port + (node == Self.sourceNode ? 0 : 1))"
            federation.nodes[index].publicKey = keys[node]!.publicKeyBase64
            // Without it every transfer's key grant fails to seal and is retried: the custodian's
            // warnings, not sync, would be measured.
            federation.nodes[index].encryptionKey = NodeEncryptionKey(derivedFrom: keys[node]!).publicKeyBase64
        }
        return federation
    }

    /// Each node's TLS with a certificate from a CA made for this run.
    private static func privateCA(for nodes: [NodeID]) throws -> [NodeID: FederationTLS] {
        let authority = try CertificateAuthority.generate(name: "bench sync CA")
        let ca = FederationTLS.PEM(try authority.certificatePEM(), source: "bench CA")
        return try Dictionary(uniqueKeysWithValues: nodes.map { node in
            let issued = try authority.issue(for: node, hosts: ["127.0.0.1"])
            return (node, try FederationTLS(ca: ca, certificate: .init(issued.certificatePEM, source: "\(node) certificate"),
                                            key: .init(issued.keyPEM, source: "\(node) key")))
        })
    }

    /// Fills the source's log with at least `events` events of the source's own centres.
    private func generate(_ workload: BenchWorkload, appender: EventAppender, reader: EventReader) async throws {
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
    }

    /// Runs `body` while the source serves over `transport` (no projector: it only answers pulls).
    private func withSource<T: Sendable>(_ transport: Transport, database: BenchDatabase, key: NodeSigningKey, expected: Int, logger: Logger,
                                         _ body: () async throws -> T) async throws -> T {
        let source = try await NodeServer.assemble(
            configuration: NodeServer.Configuration(federation: transport.federation, signingKey: key, expectedSchemaVersion: expected,
                                                    tls: transport.tls[Self.sourceNode]),
            database: try database.configuration(LocalCluster.serviceRole),
            host: "127.0.0.1", port: transport.port, projecting: false, logger: logger)
        let node = ServiceGroup(services: source.services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            do {
                try await waitForReady(transport)
                let result = try await body()
                await node.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await node.triggerGracefulShutdown()
                throw error
            }
        }
    }

    private func waitForReady(_ transport: Transport) async throws {
        let client = PeerClient(federation: transport.federation, key: NodeSigningKey.generate(for: Self.targetNode), tls: transport.tls[Self.targetNode])
        guard let source = client.peers.first(where: { $0.id == Self.sourceNode }) else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.send("GET", "/ready", to: source, timeout: .seconds(2)), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the source node did not answer /ready at \(source.url) within 30 s (is the port free?)")
    }

    /// The empty peer pulls until it holds the source's whole log (`head` events): signed
    /// requests, every event's hash, signature and chain checked, and the writer rules
    /// judged, as in `serve`.
    private func measureCatchUp(_ transport: Transport, head: Int64, key: NodeSigningKey, logger: Logger) async throws -> Double {
        let client = PostgresClient(configuration: try transport.target.configuration(LocalCluster.serviceRole))
        let federation = transport.federation
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let reader = EventReader(client: client)
            let appender = EventAppender(client: client, signingKey: key, keyring: federation.keyring, writerRules: CaseStreamWriters(), logger: logger)
            // As a served node does, it keeps, confirms and cosigns the checkpoints the pull answers bring.
            let worker = SyncWorker(federation: federation, key: key, tls: transport.tls[Self.targetNode], appender: appender, reader: reader,
                                    notifier: LogNotifier(client: client, logger: logger),
                                    checkpoints: CheckpointStore(client: client, key: key, keyring: appender, logger: logger), logger: logger)
            let start = ContinuousClock.now
            var held: Int64 = 0
            while held < head {
                guard await worker.syncOnce() > 0 else {
                    let error = await worker.peerStatus.first?.lastError ?? "nothing imported"
                    throw ValidationError("the catch-up\(transport.suffix) stopped at \(held)/\(head) events: \(error)")
                }
                held = try await reader.headPosition()
                BenchFigures.say("caught up\(transport.suffix) \(held)/\(head) events")
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
}

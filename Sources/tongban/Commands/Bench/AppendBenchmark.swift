import ArgumentParser
import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import Logging
import NIOCore
import PostgresNIO

/// `tongban bench append`: the appender's throughput against plain PostgreSQL inserts of
/// rows of the same shape at the same concurrency (one transaction per call, no hashing,
/// no signing, no appender); and again with the events' personal data sealed as the node
/// seals it, against the same plain inserts.
struct AppendBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Events/s of the appender (1 and 100 events per call), plain and sealed, against plain INSERTs."
    )

    @Option(help: "Seconds each measurement runs.")
    var seconds: Double = 3

    @OptionGroup var cluster: BenchClusterOptions

    func run() async throws {
        try await cluster.withCluster { _ in try await measureOnCluster() }
    }

    private func measureOnCluster() async throws {
        let sample = Self.sampleEvent()
        guard case .applicationSubmitted? = try CaseEvent(type: sample.type, body: sample.body) else {
            throw ValidationError("the benchmark's sample is no longer an ApplicationSubmitted the domain reads")
        }
        let database = try await cluster.database("bench_append")
        try await withRunningClient(try DatabaseURL(database.cluster.url(user: LocalCluster.ownerRole, database: database.name))) { client in
            for statement in Self.plainTableSQL {
                _ = try await client.query(PostgresQuery(unsafeSQL: statement))
            }
        }
        let service = try database.configuration(LocalCluster.serviceRole, connections: 80)
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "bench")!)
        let client = PostgresClient(configuration: service)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let appender = EventAppender(client: client, signingKey: key, keyring: OriginKeyring([key.node: key.publicKey]))
            var appended: [String: Double] = [:]
            for (perCall, clientCounts) in [(1, [1, 8, 64]), (100, [1, 8])] {
                for clients in clientCounts {
                    appended["\(perCall)_per_call_\(clients)"] = try await measureShape(perCall: perCall, clients: clients, appender: appender, client: client)
                }
            }
            try comparePgbench(with: appended, on: database)
        }
    }

    /// Measures `clients` callers appending `perCall` events per call, plain bodies then
    /// sealed ones, against plain inserts; prints the shape's lines and returns the
    /// appender's events/s.
    private func measureShape(perCall: Int, clients: Int, appender: EventAppender, client: PostgresClient) async throws -> Double {
        let name = "\(perCall)_per_call_\(clients)"
        let slug = name.replacingOccurrences(of: "_", with: "-")
        FileHandle.standardError.write(Data("measuring \(name) (\(seconds) s each)\n".utf8))
        let appended = try await measure(clients: clients) { worker, round in
            let events = (0..<perCall).map { _ in Self.sampleEvent() }
            _ = try await appender.append(to: "bench-\(slug)-\(worker)", expectedVersion: Int64(round * perCall), events: events)
            return perCall
        }
        // Each caller's stream is one record, with a key of its own, as a node makes one per case.
        let keys = (0..<clients).map { _ in RecordKeys.generate() }
        let sealed = try await measure(clients: clients) { worker, round in
            let stream = "bench-sealed-\(slug)-\(worker)"
            let events = try (0..<perCall).map { _ in try BenchSealing.seal(Self.sampleEvent(), record: stream, keys: keys[worker]) }
            _ = try await appender.append(to: stream, expectedVersion: Int64(round * perCall), events: events)
            return perCall
        }
        let plain = try await measure(clients: clients) { _, _ in
            try await Self.plainInsert(rows: perCall, client: client)
            return perCall
        }
        print("append_\(name) \(Int(appended)) events/s")
        print("plain_\(name) \(Int(plain)) rows/s")
        print("ratio_append_\(name) \(String(format: "%.2f", appended / plain))")
        print("append_sealed_\(name) \(Int(sealed)) events/s")
        print("ratio_append_sealed_\(name) \(String(format: "%.2f", sealed / plain))")
        print("ratio_sealing_\(name) \(String(format: "%.2f", sealed / appended))")
        return appended
    }

    /// Runs `clients` workers for `seconds`; each call of `work(worker, round)` returns the
    /// events it wrote. Returns events per second.
    private func measure(clients: Int, work: @escaping @Sendable (Int, Int) async throws -> Int) async throws -> Double {
        try await BenchFigures.rate(clients: clients, seconds: seconds, work: work)
    }

    /// The events table's shape without trigger, appender or chain: what plain PostgreSQL does.
    static let plainTableSQL = ["""
        CREATE TABLE IF NOT EXISTS plain_events (
            global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id uuid NOT NULL UNIQUE, origin_node text NOT NULL, origin_seq bigint NOT NULL,
            stream_id text NOT NULL, stream_version bigint NOT NULL, type text NOT NULL,
            schema_version integer NOT NULL, recorded_at timestamptz NOT NULL, actor_centre text,
            actor_staff text NOT NULL, envelope bytea NOT NULL, prev_hash bytea NOT NULL, hash bytea NOT NULL,
            signature bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now(), quarantine_reason text,
            UNIQUE (origin_node, origin_seq))
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS plain_events_stream_version ON plain_events (stream_id, stream_version) WHERE quarantine_reason IS NULL",
        "GRANT SELECT, INSERT ON plain_events TO tongban_service"]

    /// An application as the domain records it (`ApplicationSubmitted`): the applicant's
    /// name, ID number and phone, the matter's summary of varying length, a hardship promise.
    static func sampleEvent() -> NewEvent {
        NewEvent(type: "ApplicationSubmitted", actor: Actor(centre: CentreID(rawValue: "rizhao-wulian")!, staff: "bench"), body: .object([
            "intakeCentre": "rizhao-wulian",
            "applicant": .object(["name": "张某", "idNumber": "371121198001011234", "phone": "13800000000",
                                  "homeCity": "rizhao", "groups": .array(["migrant-worker"])]),
            "matter": .object(["litigation": true, "cause": "traffic-accident",
                               "summary": .string(String(repeating: "交通事故赔偿纠纷", count: Int.random(in: 2...12))),
                               "venue": "青岛市李沧区人民法院", "jurisdictionCentre": "qingdao-licang"]),
            "urgent": false,
            "hardship": .object(["promise": .object(["statement": "本人承诺家庭经济困难，无力支付律师费用"])]),
            "documents": .array([]),
            "consent": .object(["shareWithJurisdiction": true, "checksByOtherCities": true]),
        ]))
    }

    /// Filler of the hash and signature columns' sizes, made once so that making it costs
    /// the plain inserts nothing.
    static let filler = (hash: ByteBuffer(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) }),
                         signature: ByteBuffer(bytes: (0..<64).map { _ in UInt8.random(in: 0...255) }))

    /// One plain INSERT of `rows` rows of the events table's shape (same indexes, no
    /// trigger), in its own transaction.
    static func plainInsert(rows: Int, client: PostgresClient) async throws {
        let now = Date()
        let events = (0..<rows).map { _ in (UUID(), try! CanonicalJSON.encode(sampleEvent().body), Int64.random(in: 1...Int64.max)) }
        _ = try await client.query("""
            INSERT INTO plain_events (event_id, origin_node, origin_seq, stream_id, stream_version, type, schema_version,
                                      recorded_at, actor_centre, actor_staff, envelope, prev_hash, hash, signature, quarantine_reason)
            SELECT id, 'bench', n, 'plain-stream', n, 'ApplicationSubmitted', 1, \(now), 'rizhao-wulian', 'bench',
                   env, ph, h, sig, NULL
              FROM unnest(\(events.map(\.0))::uuid[], \(events.map { ByteBuffer(bytes: $0.1) })::bytea[], \(events.map(\.2))::bigint[],
                          \(events.map { _ in filler.hash })::bytea[], \(events.map { _ in filler.hash })::bytea[],
                          \(events.map { _ in filler.signature })::bytea[]) AS r(id, env, n, ph, h, sig)
            """)
    }
}

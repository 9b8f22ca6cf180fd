import ArgumentParser
import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import Logging
import PostgresNIO
import Projections
import ServiceLifecycle

/// `tongban bench inbox`: inbox query latency for a busy centre (against the same rows
/// read by a plain indexed query), and how long an append takes to show in the inbox.
struct InboxBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Inbox query p50/p99 for the busiest centre against a plain query, and projection lag under a steady write load."
    )

    @Option(help: "Cases to generate before measuring.")
    var cases = 50_000

    @Option(help: "Inbox queries to time.")
    var queries = 2000

    @Option(help: "Seconds of steady writes while measuring projection lag.")
    var lagSeconds = 10.0

    @Option(help: "Appends per second during the lag measurement.")
    var writesPerSecond = 100

    @OptionGroup var cluster: BenchClusterOptions

    func run() async throws {
        try await cluster.withCluster { _ in try await measureOnCluster() }
    }

    private func measureOnCluster() async throws {
        let workload = try BenchWorkload(federationPath: cluster.federation)
        let database = try await cluster.database("bench_inbox")
        let client = PostgresClient(configuration: try database.configuration(LocalCluster.ownerRole))
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "bench")!)
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let appender = EventAppender(client: client, signingKey: key, keyring: OriginKeyring([key.node: key.publicKey]))
            try await workload.generate(cases: cases, appender: appender) { done in
                if done % 10_000 < 400 { BenchFigures.say("generated \(done)/\(cases) cases") }
            }
            // Every projection a node keeps, as its projector would have them before the queries.
            let projector = Projector(projections: ProjectorService.all, client: client, batchSize: 5000, logger: logger)
            try await projector.catchUp { done, target in
                if done % 100_000 < 5000 { BenchFigures.say("projected \(done)/\(target) events") }
            }

            let (centre, items) = try await Self.busiestCentre(client)
            print("inbox_busiest_centre_items \(items) items")
            let inbox = InboxQuery(client: client, logger: logger)
            let now = Timestamp(Date())
            let secondPage = try await inbox.page(centre: centre, limit: 50, now: now).nextCursor.flatMap(InboxQuery.Cursor.init(text:))
            var inboxTimes: [Double] = []
            var plainTimes: [Double] = []
            for round in 0..<queries {
                // A mix: the first page, one kind, the overdue items, and a second page.
                let kind: InboxProjection.Kind? = round % 4 == 1 ? .decide : nil
                let overdue: Bool? = round % 4 == 2 ? true : nil
                let cursor = round % 4 == 3 ? secondPage : nil
                let start = ContinuousClock.now
                _ = try await inbox.page(centre: centre, kind: kind, overdue: overdue, limit: 50, after: cursor, now: now)
                inboxTimes.append(BenchFigures.seconds(ContinuousClock.now - start) * 1000)
                let plainStart = ContinuousClock.now
                try await Self.plainQuery(centre: centre, client: client)
                plainTimes.append(BenchFigures.seconds(ContinuousClock.now - plainStart) * 1000)
            }
            for (name, quantile) in [("p50", 0.5), ("p99", 0.99)] {
                let ours = BenchFigures.quantile(inboxTimes, quantile)
                let plain = BenchFigures.quantile(plainTimes, quantile)
                print("inbox_query_\(name)_ms \(String(format: "%.2f", ours)) ms")
                print("plain_inbox_query_\(name)_ms \(String(format: "%.2f", plain)) ms")
                print("ratio_inbox_query_\(name) \(String(format: "%.2f", ours / plain))")
            }

            let lags = try await measureLag(workload: workload, appender: appender, client: client, logger: logger)
            print("projection_lag_p50_ms \(String(format: "%.1f", BenchFigures.quantile(lags, 0.5))) ms")
            print("projection_lag_p99_ms \(String(format: "%.1f", BenchFigures.quantile(lags, 0.99))) ms")
        }
    }

    /// Appends one case at a steady rate while the node's projector runs every projection;
    /// each lag is the time from the append's return to the inbox checkpoint passing its
    /// last event.
    private func measureLag(workload: BenchWorkload, appender: EventAppender, client: PostgresClient, logger: Logger) async throws -> [Double] {
        let recorder = LagRecorder()
        let projector = Projector(projection: InboxProjection(), client: client, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ProjectorService(client: client, logger: logger).run() }
            group.addTask {
                while !Task.isCancelled {
                    let checkpoint = try await projector.checkpoint()
                    await recorder.reached(checkpoint, at: ContinuousClock.now)
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            var generator = SystemRandomNumberGenerator()
            let interval = Duration.seconds(1) / writesPerSecond
            let end = ContinuousClock.now + .milliseconds(Int(lagSeconds * 1000))
            var index = cases
            while ContinuousClock.now < end {
                let next = ContinuousClock.now + interval
                let outcome = try await appender.appendAtomically([try workload.caseAppend(index, using: &generator)])
                let position = outcome[0].globalPositions.last ?? 0
                await recorder.appended(position, at: ContinuousClock.now)
                index += 1
                try await Task.sleep(until: next)
            }
            while await recorder.waiting > 0 { try await Task.sleep(for: .milliseconds(10)) }
            group.cancelAll()
        }
        return await recorder.lags
    }

    static func busiestCentre(_ client: PostgresClient) async throws -> (CentreID, Int) {
        let rows = try await client.query("SELECT centre, count(*)::int FROM projections.inbox_items GROUP BY centre ORDER BY 2 DESC LIMIT 1")
        for try await (centre, count) in rows.decode((String, Int).self) {
            if let id = CentreID(rawValue: centre) { return (id, count) }
        }
        throw ValidationError("the workload left no inbox items")
    }

    /// The plain equivalent of a first page: the centre's next 51 rows by the same index.
    static func plainQuery(centre: CentreID, client: PostgresClient) async throws {
        let rows = try await client.query("""
            SELECT * FROM projections.inbox_items WHERE centre = \(centre.rawValue)
             ORDER BY coalesce(due_at, 'infinity'::timestamptz), item_id LIMIT 51
            """)
        for try await _ in rows {}
    }
}

/// Appended positions waiting to be projected, and the lags of those that were.
private actor LagRecorder {
    private var pending: [(position: Int64, at: ContinuousClock.Instant)] = []
    private(set) var lags: [Double] = []

    var waiting: Int { pending.count }

    func appended(_ position: Int64, at instant: ContinuousClock.Instant) {
        pending.append((position, instant))
    }

    func reached(_ checkpoint: Int64, at instant: ContinuousClock.Instant) {
        lags += pending.filter { $0.position <= checkpoint }.map { BenchFigures.seconds(instant - $0.at) * 1000 }
        pending.removeAll { $0.position <= checkpoint }
    }
}

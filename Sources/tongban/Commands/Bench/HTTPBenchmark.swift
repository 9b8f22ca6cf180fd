import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// `tongban bench http`: what staff feel. One node served by `tongban serve` of this
/// executable (a child process, so its memory is its own) on a private cluster, its busy
/// centre's inbox filled; then `wrk` at `--connections` keep-alive connections against
/// each staff path in turn, and in the same run the appender alone at as many concurrent
/// single-event appends. Stops what it started, also on an error or Ctrl-C.
struct HTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Requests/s and p50/p99 of the staff API under wrk (health, submit, transitions, inbox, case view), the node's memory, and the appender alone.",
        discussion: "Needs wrk (scripts/ensure-wrk). Measure a release build: swift build -c release --product tongban."
    )

    @Option(help: "Seconds each load runs.")
    var seconds = 10.0

    @Option(help: "Concurrent keep-alive connections of each load (and concurrent appends of the appender's).")
    var connections = 32

    @Option(help: "Open inbox items the busy centre holds before the loads (its applications are submitted through the API).")
    var inboxItems = 10_000

    @Option(help: "wrk's threads (each takes a core from the node it measures).")
    var wrkThreads = 1

    @Option(help: "The node's port on 127.0.0.1.")
    var port = 8490

    @OptionGroup var cluster: BenchClusterOptions

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-bench-http-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wrk = try Wrk.locate(directory: directory, connections: connections, threads: wrkThreads)
        let children = BenchChildren()
        try await cluster.withCluster(cleanUp: { await children.stopAll() }) { postgres in
            try await measure(postgres: postgres, wrk: wrk, directory: directory, children: children)
        }
    }

    private func measure(postgres: LocalCluster, wrk: Wrk, directory: String, children: BenchChildren) async throws {
        let database = try await cluster.database("bench_http")
        let template = try FederationFile.load(path: cluster.federation, requirePublicKeys: false)
        let node = try await BenchNode.start(node: HTTPBenchCases.busy.node, template: template,
                                             databaseURL: postgres.url(user: LocalCluster.serviceRole, database: database.name),
                                             schemaDirectory: cluster.schema.schemaDir, port: port, directory: directory)
        await children.add(node.process)
        let staff = BenchStaffClient(baseURL: node.baseURL, connections: connections)
        do {
            try await node.waitUntilReady(staff)
            let figures = try await measureNode(node, staff: staff, postgres: postgres, database: database.name, wrk: wrk)
            try await staff.shutdown()
            let status = await node.process.stop()
            guard status == 0 else { throw BenchProcessError(message: "tongban serve exited with status \(status):\n\(node.process.outputTail())") }
            let appended = try await measureAppender()
            print("append_1_per_call_\(connections) \(Int(appended)) events/s")
            print("ratio_http_submit \(String(format: "%.2f", figures.submit / appended))")
            print("ratio_http_inbox \(String(format: "%.3f", figures.inbox / figures.health))")
            if !figures.failed.isEmpty {
                throw BenchProcessError(message: "requests failed in \(figures.failed.joined(separator: ", ")): those figures are not figures")
            }
        } catch {
            try? await staff.shutdown()
            throw error
        }
    }

    /// Requests per second of the loads the ratios need, and the loads that had errors.
    private struct NodeFigures {
        var health = 0.0
        var submit = 0.0
        var inbox = 0.0
        var failed: [String] = []
    }

    /// Fills the busy centre's inbox, then runs each load and prints its figures and the
    /// node's memory before and under the loads.
    private func measureNode(_ node: BenchNode, staff: BenchStaffClient, postgres: LocalCluster, database: String, wrk: Wrk) async throws -> NodeFigures {
        let busyToken = try await node.token(for: HTTPBenchCases.busy)
        let intakeToken = try await node.token(for: HTTPBenchCases.intake)
        let targetToken = try await node.token(for: HTTPBenchCases.target)
        let workers = connections
        let filled = try await HTTPBenchCases.submit(inboxItems, token: busyToken, jurisdiction: HTTPBenchCases.busy, client: staff,
                                                     workers: workers, label: "filling \(HTTPBenchCases.busy)'s inbox")
        try await HTTPBenchCases.waitForProjections(cluster: postgres, database: database)
        print("http_inbox_items \(try HTTPBenchCases.inboxItems(of: HTTPBenchCases.busy, cluster: postgres, database: database)) items")
        try await Task.sleep(for: .seconds(2))
        print("node_rss_mb_idle \(String(format: "%.1f", node.process.residentMB() ?? 0)) MB")

        let sampler = Task {
            var peak = 0.0
            while !Task.isCancelled {
                peak = max(peak, node.process.residentMB() ?? 0)
                try? await Task.sleep(for: .milliseconds(100))
            }
            return peak
        }
        var figures = NodeFigures()
        func report(_ name: String, _ result: WrkResult) {
            if result.errors > 0 {
                print("http_\(name)_errors \(result.errors) requests")
                BenchFigures.say("\(name): \(result.non2xx) answers not 2xx, \(result.socketErrors) socket errors, \(result.exhausted) past the prepared cases "
                                 + "of \(result.requests) requests")
                figures.failed.append(name)
                return
            }
            print("http_\(name)_per_s \(Int(result.perSecond)) requests/s")
            print("http_\(name)_p50_ms \(String(format: "%.2f", result.p50Milliseconds)) ms")
            print("http_\(name)_p99_ms \(String(format: "%.2f", result.p99Milliseconds)) ms")
        }
        let json = ["Content-Type": "application/json"]
        func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }
        func load(_ name: String, _ run: () async throws -> WrkResult) async throws -> WrkResult {
            BenchFigures.say("measuring \(name) (\(seconds) s at \(connections) connections)")
            let result = try await run()
            report(name, result)
            try await HTTPBenchCases.waitForProjections(cluster: postgres, database: database)
            return result
        }

        figures.health = try await load("health") {
            try await wrk.run("health", baseURL: node.baseURL, repeating: WrkRequest(method: "GET", path: "/health", headers: [:]), seconds: seconds)
        }.perSecond
        let submission = String(decoding: try CanonicalJSON.encode(BenchStaffClient.application(jurisdiction: HTTPBenchCases.intake)), as: UTF8.self)
        let submit = try await load("submit") {
            try await wrk.run("submit", baseURL: node.baseURL, repeating: WrkRequest(method: "POST", path: "/v1/cases",
                                                                                      headers: json.merging(bearer(intakeToken)) { $1 }, body: submission),
                              seconds: seconds)
        }
        figures.submit = submit.perSecond

        // Each transition its own case: as many of each as the submissions' rate would do in the load's time.
        let perKind = max(1000, Int(submit.perSecond * seconds))
        let assessable = filled.prefix(perKind).map { ($0, busyToken) }
            + (try await HTTPBenchCases.submit(max(0, perKind - filled.count), token: intakeToken, jurisdiction: HTTPBenchCases.intake, client: staff,
                                                  workers: workers, label: "cases to assess")).map { ($0, intakeToken) }
        let toTransfer = try await HTTPBenchCases.assess(
            try await HTTPBenchCases.submit(perKind * 2, token: intakeToken, jurisdiction: HTTPBenchCases.intake, client: staff,
                                            workers: workers, label: "cases to transfer and to accept"),
            token: intakeToken, client: staff, workers: workers)
        let toAccept = try await HTTPBenchCases.transfer(Array(toTransfer.suffix(perKind)), token: intakeToken, client: staff, workers: workers)
        try await HTTPBenchCases.waitForProjections(cluster: postgres, database: database)
        var transitions: [WrkRequest] = []
        for index in 0..<perKind {
            func post(_ path: String, _ body: JSONValue, _ token: String) throws -> WrkRequest {
                WrkRequest(method: "POST", path: path, headers: json.merging(bearer(token)) { $1 },
                           body: String(decoding: try CanonicalJSON.encode(body), as: UTF8.self))
            }
            let (assessed, assessor) = assessable[index]
            transitions.append(try post("/v1/cases/\(assessed.id)/assessment", HTTPBenchCases.assessment(assessed), assessor))
            transitions.append(try post("/v1/cases/\(toTransfer[index].id)/transfer", HTTPBenchCases.transfer(toTransfer[index]), intakeToken))
            transitions.append(try post("/v1/cases/\(toAccept[index].id)/transfer/accept", HTTPBenchCases.acceptance(toAccept[index]), targetToken))
        }
        _ = try await load("transition") {
            try await wrk.run("transition", baseURL: node.baseURL, prepared: transitions, cycling: false, seconds: seconds)
        }
        print("http_inbox_items \(try HTTPBenchCases.inboxItems(of: HTTPBenchCases.busy, cluster: postgres, database: database)) items")
        figures.inbox = try await load("inbox") {
            try await wrk.run("inbox", baseURL: node.baseURL, repeating: WrkRequest(method: "GET", path: "/v1/inbox?limit=50", headers: bearer(busyToken)),
                              seconds: seconds)
        }.perSecond
        let views = filled.prefix(5000).map { WrkRequest(method: "GET", path: "/v1/cases/\($0.id)", headers: bearer(busyToken)) }
        _ = try await load("case_view") {
            try await wrk.run("case_view", baseURL: node.baseURL, prepared: views, cycling: true, seconds: seconds)
        }
        sampler.cancel()
        print("node_rss_mb_load \(String(format: "%.1f", await sampler.value)) MB")
        return figures
    }

    /// The appender alone, on a database of its own: `connections` concurrent callers
    /// appending one event per call to a stream each (as `bench append` measures it).
    private func measureAppender() async throws -> Double {
        BenchFigures.say("measuring the appender alone (\(seconds) s at \(connections) callers)")
        let database = try await cluster.database("bench_http_append")
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "bench")!)
        let client = PostgresClient(configuration: try database.configuration(LocalCluster.serviceRole, connections: 80))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let appender = EventAppender(client: client, signingKey: key, keyring: OriginKeyring([key.node: key.publicKey]))
            return try await BenchFigures.rate(clients: connections, seconds: seconds) { worker, round in
                _ = try await appender.append(to: "bench-http-append-\(worker)", expectedVersion: Int64(round), events: [AppendBenchmark.sampleEvent()])
                return 1
            }
        }
    }
}

/// The child processes a benchmark started, to be stopped however it ends.
actor BenchChildren {
    private var processes: [BenchProcess] = []

    func add(_ process: BenchProcess) {
        processes.append(process)
    }

    func stopAll() async {
        for process in processes { await process.stop() }
        processes.removeAll()
    }
}

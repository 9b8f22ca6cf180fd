import ArgumentParser
import AsyncHTTPClient
import Federation
import Foundation
import LocalPostgres

/// `tongban bench federation`: a federation of many cities on one machine. `--nodes` real
/// nodes (`tongban serve` child processes of this executable, a database each on one
/// private cluster) sync along a bounded-degree peer graph — a ring with random chords —
/// while applications are written at random nodes at a steady rate; then every node's log
/// must be the same. Stops every node and the cluster it started, also on an error or Ctrl-C.
struct FederationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "N nodes on loopback along a ring with chords: write propagation p50/p99, sync requests and bytes per node, node memory.",
        discussion: """
            Figures: federation_nodes, federation_peers_max (the largest node degree), propagation_p50_ms and \
            propagation_p99_ms (from a write's commit at its node until the last node's importing transaction \
            began: received_at, one clock), sync_requests_per_node_per_s and sync_bytes_per_node_per_s (every \
            /v1/sync request the nodes served during the writes, and its request and answer bodies, divided by \
            the nodes and the seconds: what a node serves, and on average sends), by route, and node_rss_mb_max \
            (the largest resident set of any one node's process, sampled every second). The run ends by checking \
            that every node's log is identical (federation_logs_identical: the nodes whose log is the first's; \
            exit 1 if not all). Measure a release build: swift build -c release --product tongban.
            """
    )

    @Option(help: "Nodes of the federation.")
    var nodes = 10

    @Option(help: "Applications written per second, in total, each at a node drawn at random.")
    var rate = 20.0

    @Option(help: "Seconds the writes go on.")
    var seconds = 30.0

    @Option(help: "Chords per node beside the ring (degree at most 2 + chords, whatever --nodes).")
    var chords = 2

    @Option(help: "Seed of the chords and of the nodes written at.")
    var seed: UInt64 = 1

    @Option(help: "Node i listens on 127.0.0.1:<base-port + i>.")
    var basePort = 18_500

    @Option(help: "Seconds between a node's pulls from a peer that announced nothing (serve --sync-interval).")
    var syncInterval = 5

    @Option(help: "Seconds to wait after the writes until every log is identical.")
    var settle = 120.0

    @OptionGroup var cluster: BenchClusterOptions

    func validate() throws {
        guard (2...400).contains(nodes) else { throw ValidationError("--nodes: from 2 to 400") }
        guard rate > 0, seconds > 0, settle > 0 else { throw ValidationError("--rate, --seconds and --settle must be positive") }
        guard (0...8).contains(chords) else { throw ValidationError("--chords: from 0 to 8") }
        guard basePort > 1024, basePort + nodes < 32_768 else { throw ValidationError("--base-port: the nodes' ports must lie in 1025–32767") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-bench-federation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let children = BenchFederationChildren()
        // Idle connections are dropped before the nodes' 30 s idle timeout closes them under a request.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = .init(idleTimeout: .seconds(10))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await cluster.withCluster(cleanUp: { await Self.stop(children: children, client: client) }) { postgres in
                try await measure(postgres: postgres, directory: directory, children: children, client: client)
            }
        } catch {
            BenchFigures.say("the nodes' logs and keys are kept in \(directory)")
            throw error
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the nodes and the client that asked them.
    private static func stop(children: BenchFederationChildren, client: HTTPClient) async {
        BenchFigures.say("stopping the nodes")
        for (process, status) in await children.stopAll() {
            BenchFigures.say("\(process.arguments.dropFirst(4).first ?? "a node") exited with status \(status): see \(process.outputPath)")
        }
        try? await client.shutdown()
    }

    private func measure(postgres: LocalCluster, directory: String, children: BenchFederationChildren, client: HTTPClient) async throws {
        let template = try FederationFile.load(path: cluster.federation, requirePublicKeys: false)
        let federation = try await BenchFederation.start(count: nodes, chords: chords, seed: seed, template: template, basePort: basePort,
                                                         syncInterval: syncInterval, cluster: cluster, postgres: postgres, directory: directory,
                                                         children: children)
        BenchFigures.say("started \(nodes) nodes; waiting until each is ready")
        try await Self.waitUntilReady(federation, client: client)
        try await Task.sleep(for: .seconds(3))

        let sampler = Task {
            var largest = 0.0
            while !Task.isCancelled {
                largest = max(largest, await children.largestResidentMB())
                try? await Task.sleep(for: .seconds(1))
            }
            return largest
        }
        let count = Int((rate * seconds).rounded())
        BenchFigures.say("writing \(count) applications at \(rate)/s at random nodes")
        var random = SplitMix64(seed: seed &+ 1)
        let before = try await Self.traffic(of: federation, client: client)
        let started = ContinuousClock.now
        let writes = try await Self.write(count, rate: rate, to: federation, client: client, random: &random)
        let elapsed = BenchFigures.seconds(ContinuousClock.now - started)
        let traffic = try await Self.traffic(of: federation, client: client) - before

        BenchFigures.say("waiting until every log is identical")
        let (identical, delays) = try await Self.withDatabases(of: federation, postgres: postgres) { clients in
            let identical = try await Self.converge(clients, events: writes.count, timeout: .milliseconds(Int(settle * 1000)))
            return (identical, identical == clients.count ? try await Self.propagation(of: writes, clients) : [])
        }
        sampler.cancel()
        let rss = max(await sampler.value, await children.largestResidentMB())

        let perNode = Double(nodes) * elapsed
        print("federation_nodes \(nodes) nodes")
        print("federation_peers_max \(federation.file.peerGraph.values.map(\.count).max() ?? 0) peers")
        if !delays.isEmpty {
            print("propagation_p50_ms \(String(format: "%.0f", BenchFigures.quantile(delays, 0.5))) ms")
            print("propagation_p99_ms \(String(format: "%.0f", BenchFigures.quantile(delays, 0.99))) ms")
        }
        print("sync_requests_per_node_per_s \(String(format: "%.2f", traffic.totalRequests / perNode)) requests/s")
        for (route, requests) in traffic.requests.sorted(by: { $0.key < $1.key }) where requests > 0 {
            let name = route.split(separator: "/").last { !$0.hasPrefix("{") }.map { $0.replacingOccurrences(of: "-", with: "_") } ?? "other"
            print("sync_\(name)_requests_per_node_per_s \(String(format: "%.2f", requests / perNode)) requests/s")
        }
        print("sync_bytes_per_node_per_s \(String(format: "%.0f", traffic.bytes / perNode)) bytes/s")
        print("node_rss_mb_max \(String(format: "%.1f", rss)) MB")
        print("federation_logs_identical \(identical) nodes")
        guard identical == nodes else {
            throw BenchProcessError(message: "\(nodes - identical) of \(nodes) nodes' logs differ from the first node's after \(settle) s")
        }
    }
}

import AsyncHTTPClient
import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import NIOCore
import PostgresNIO

extension FederationBenchmark {
    /// What every node served under `/v1/sync` so far, summed over the nodes (from each
    /// node's `/metrics`: `tongban_sync_requests_total`, `tongban_sync_bytes_total`).
    struct Traffic {
        var requests: [String: Double] = [:]
        var bytes = 0.0

        var totalRequests: Double { requests.values.reduce(0, +) }

        static func - (later: Traffic, earlier: Traffic) -> Traffic {
            Traffic(requests: later.requests.merging(earlier.requests.mapValues { -$0 }, uniquingKeysWith: +), bytes: later.bytes - earlier.bytes)
        }

        /// Adds the counters of one node's Prometheus text.
        mutating func add(metrics text: Substring) {
            for line in text.split(separator: "\n") where line.hasPrefix("tongban_sync_") {
                guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
                if line.hasPrefix("tongban_sync_requests_total{"), let route = line.firstRange(of: "route=\"").map({ line[$0.upperBound...] }) {
                    requests[String(route.prefix { $0 != "\"" }), default: 0] += value
                } else if line.hasPrefix("tongban_sync_bytes_total{") {
                    bytes += value
                }
            }
        }
    }

    /// The sync traffic every node served so far.
    static func traffic(of federation: BenchFederation, client: HTTPClient) async throws -> Traffic {
        var traffic = Traffic()
        for node in federation.nodes {
            // Once more after a failure: a kept-alive connection the node closed meanwhile.
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let response = try await client.execute(HTTPClientRequest(url: node.url + "/metrics"), timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 8 << 20)
                    guard response.status == .ok else { throw BenchProcessError(message: "\(node.id)'s /metrics answered \(response.status.code)") }
                    traffic.add(metrics: Substring(String(buffer: body)))
                    break
                } catch where attempt < 2 {
                    continue
                }
            }
        }
        return traffic
    }

    /// Waits until every node answers `/ready`; fails naming a node that exited or is not
    /// ready within `timeout`.
    static func waitUntilReady(_ federation: BenchFederation, client: HTTPClient, timeout: Duration = .seconds(180)) async throws {
        let deadline = ContinuousClock.now + timeout
        for node in federation.nodes {
            while true {
                if node.process.residentMB() == nil {
                    throw BenchProcessError(message: "\(node.id)'s tongban serve exited before it was ready:\n\(node.process.outputTail())")
                }
                if let response = try? await client.execute(HTTPClientRequest(url: node.url + "/ready"), timeout: .seconds(2)), response.status == .ok {
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    break
                }
                guard ContinuousClock.now < deadline else {
                    throw BenchProcessError(message: "\(node.id) was not ready within \(timeout):\n\(node.process.outputTail())")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// One application written at a node: the case's stream and the node's index.
    struct Write: Sendable {
        var stream: String
        var node: Int
    }

    /// `count` applications at `rate` per second, each at a node drawn by `random`, submitted
    /// through the node's staff API on schedule (a slow answer delays no later write).
    static func write(_ count: Int, rate: Double, to federation: BenchFederation, client: HTTPClient, random: inout SplitMix64) async throws -> [Write] {
        let targets = (0..<count).map { _ in Int.random(in: 0..<federation.nodes.count, using: &random) }
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Write.self) { group in
            for (index, target) in targets.enumerated() {
                try await Task.sleep(until: start + .milliseconds(Int(Double(index) * 1000 / rate)))
                let node = federation.nodes[target]
                group.addTask {
                    var request = HTTPClientRequest(url: node.url + "/v1/cases")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(node.token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: try CanonicalJSON.encode(BenchStaffClient.application(jurisdiction: node.centre))))
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .created, let id = (try? CanonicalJSON.decode(Array(buffer: body)))?["caseId"]?.stringValue else {
                        throw BenchProcessError(message: "POST /v1/cases at \(node.id) answered \(response.status.code): \(String(buffer: body))")
                    }
                    return Write(stream: "case-\(id)", node: target)
                }
                if index % max(1, Int(rate) * 10) == 0 { BenchFigures.say("  \(index) of \(count) writes") }
            }
            var writes: [Write] = []
            for try await write in group { writes.append(write) }
            return writes
        }
    }

    /// Runs `body` with a running client (one connection) on every node's database.
    static func withDatabases<Result: Sendable>(of federation: BenchFederation, postgres: LocalCluster,
                                                _ body: @Sendable ([PostgresClient]) async throws -> Result) async throws -> Result {
        let clients = try federation.nodes.map { node in
            var configuration = try DatabaseURL(postgres.url(user: LocalCluster.serviceRole, database: node.database)).configuration
            configuration.options.maximumConnections = 1
            return PostgresClient(configuration: configuration)
        }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            for client in clients { group.addTask { await client.run(); return nil } }
            defer { group.cancelAll() }
            return try await body(clients)
        }
    }

    /// Each node's log digest: its event count and an MD5 of every (origin, seq, hash) in origin order.
    static func digests(_ clients: [PostgresClient]) async throws -> [(count: Int64, digest: String)] {
        var digests: [(count: Int64, digest: String)] = []
        for client in clients {
            let rows = try await client.query("""
                SELECT count(*)::bigint, coalesce(md5(string_agg(origin_node || '/' || origin_seq || '/' || encode(hash, 'hex'), ',' ORDER BY origin_node, origin_seq)), '')
                  FROM events
                """)
            for try await (count, digest) in rows.decode((Int64, String).self) { digests.append((count, digest)) }
        }
        return digests
    }

    /// Waits until every node's log is the first node's and holds at least `events`; the
    /// number of nodes whose log is the first's at the end (all, unless `timeout` passed).
    static func converge(_ clients: [PostgresClient], events: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let digests = try await digests(clients)
            let same = digests.filter { $0.digest == digests.first?.digest && $0.count >= events }.count
            if same == clients.count || ContinuousClock.now >= deadline { return same }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Milliseconds from each write's commit at its node until the last node received it
    /// (`received_at`, stamped by each node's importing transaction; one clock, one machine).
    static func propagation(of writes: [Write], _ clients: [PostgresClient]) async throws -> [Double] {
        let streams = writes.map(\.stream)
        var received: [[String: Date]] = []
        for client in clients {
            let rows = try await client.query("SELECT stream_id, received_at FROM events WHERE stream_version = 1 AND stream_id = ANY(\(streams))")
            var times: [String: Date] = [:]
            for try await (stream, at) in rows.decode((String, Date).self) { times[stream] = at }
            received.append(times)
        }
        return try writes.map { write in
            guard let origin = received[write.node][write.stream] else {
                throw BenchProcessError(message: "\(write.stream) is missing at the node it was written at")
            }
            let last = try received.enumerated().map { index, times in
                guard let at = times[write.stream] else { throw BenchProcessError(message: "\(write.stream) never reached node \(index + 1)") }
                return at
            }.max() ?? origin
            return last.timeIntervalSince(origin) * 1000
        }
    }
}

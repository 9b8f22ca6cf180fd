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

extension SyncBenchmark {
    /// Starts the caught-up peer as a node over `transport` (sync worker, projector, server)
    /// and, at a steady rate, writes transfers at the source to a centre of the peer; each
    /// latency runs from the transfer's acknowledgement to its row in the target centre's inbox.
    func measureTransferToInbox(_ transport: Transport, workload: BenchWorkload, appender: EventAppender, key: NodeSigningKey,
                                expected: Int, logger: Logger) async throws {
        let federation = transport.federation
        let targetRunning = try await NodeServer.assemble(
            configuration: NodeServer.Configuration(federation: federation, signingKey: key, expectedSchemaVersion: expected,
                                                    tls: transport.tls[Self.targetNode]),
            database: try transport.target.configuration(LocalCluster.serviceRole), host: "127.0.0.1", port: transport.port + 1, logger: logger)
        let targetNode = ServiceGroup(services: targetRunning.services, logger: logger)
        let intake = try centre(of: Self.sourceNode, in: federation, preferring: "rizhao-wulian")
        let destination = try centre(of: Self.targetNode, in: federation, preferring: "qingdao-licang")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await targetNode.run() }
            do {
                let watcher = targetRunning.client
                BenchFigures.say("the peer's projector catches up with the log before the load starts\(transport.suffix)")
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
                guard missing == 0 else {
                    throw ValidationError("\(missing) transfer(s) never reached the inbox on \(Self.targetNode) within 30 s\(transport.suffix.isEmpty ? "" : " over https")")
                }
                print("transfers_measured\(transport.suffix) \(latencies.count) transfers")
                print("transfer_to_inbox_p50_ms\(transport.suffix) \(String(format: "%.1f", BenchFigures.quantile(latencies, 0.5))) ms")
                print("transfer_to_inbox_p99_ms\(transport.suffix) \(String(format: "%.1f", BenchFigures.quantile(latencies, 0.99))) ms")
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

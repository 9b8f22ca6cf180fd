import ArgumentParser
import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import Logging
import NIOCore
import PostgresNIO
import Projections

/// `tongban bench replay`: how fast every projection is rebuilt from the log of sealed
/// events, against plain PostgreSQL reading the same events in the same batches; and what
/// opening every body with its case's keys costs a read of the log.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Events/s and peak memory of a replay from position 0, against plain reads of the log; the cost of opening."
    )

    @Option(help: "Cases to generate (each 2 to 9 events).")
    var cases = 100_000

    @Option(help: "Events per replay transaction.")
    var batchSize = 5000

    @OptionGroup var cluster: BenchClusterOptions

    func run() async throws {
        try await cluster.withCluster { _ in try await measureOnCluster() }
    }

    private func measureOnCluster() async throws {
        let workload = try BenchWorkload(federationPath: cluster.federation)
        let database = try await cluster.database("bench_replay")
        let client = PostgresClient(configuration: try database.configuration(LocalCluster.ownerRole))
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "bench")!)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let appender = EventAppender(client: client, signingKey: key, keyring: OriginKeyring([key.node: key.publicKey]))
            let generationStart = ContinuousClock.now
            let keys = try await workload.generate(cases: cases, appender: appender) { done in
                if done % 10_000 < 400 { BenchFigures.say("generated \(done)/\(cases) cases") }
            }
            let events = try await EventReader(client: client).headPosition()
            print("generated_cases \(cases) cases")
            print("generated_events \(events) events")
            print("generate_events_per_s \(Int(Double(events) / BenchFigures.seconds(ContinuousClock.now - generationStart))) events/s")

            BenchFigures.resetPeakMemory()
            let replay = Replay(projections: ProjectorService.all, into: ProjectionSchema("projections_bench")!, client: client)
            let replayStart = ContinuousClock.now
            try await replay.rebuild(batchSize: batchSize) { done, target in
                if done % 100_000 < Int64(batchSize) { BenchFigures.say("replayed \(done)/\(target) events") }
            }
            let replayRate = Double(events) / BenchFigures.seconds(ContinuousClock.now - replayStart)
            print("replay_events_per_s \(Int(replayRate)) events/s")
            print("replay_peak_rss_mb \(String(format: "%.0f", BenchFigures.peakMemoryMB())) MB")

            let plainStart = ContinuousClock.now
            var position: Int64 = 0
            while position < events {
                position = try await Self.plainRead(after: position, limit: batchSize, client: client)
            }
            let plainRate = Double(events) / BenchFigures.seconds(ContinuousClock.now - plainStart)
            print("plain_read_events_per_s \(Int(plainRate)) events/s")
            print("ratio_replay \(String(format: "%.3f", replayRate / plainRate))")

            let reader = EventReader(client: client)
            let readRate = try await Self.read(events, batchSize: batchSize, reader: reader, opening: nil)
            let openRate = try await Self.read(events, batchSize: batchSize, reader: reader, opening: keys)
            print("read_events_per_s \(Int(readRate)) events/s")
            print("open_events_per_s \(Int(openRate)) events/s")
            print("ratio_opening \(String(format: "%.3f", openRate / readRate))")
            try await ProjectionSchema("projections_bench")!.drop(on: client, logger: Logger(label: "bench"))
        }
    }

    /// Reads the log's `events` events in batches of `batchSize` as the node reads them
    /// (envelopes decoded), and with `keys` opens every body with its case's keys too; in
    /// whole passes over the log, for at least a second. Returns events per second.
    static func read(_ events: Int64, batchSize: Int, reader: EventReader, opening keys: [String: RecordKeys]?) async throws -> Double {
        let start = ContinuousClock.now
        var passes: Int64 = 0
        repeat {
            var position: Int64 = 0
            while position < events {
                let batch = try await reader.readBatch(after: position, limit: batchSize)
                guard let last = batch.last else { break }
                if let keys { try BenchSealing.open(batch, keys: keys) }
                position = last.globalPosition
            }
            passes += 1
        } while ContinuousClock.now - start < .seconds(1)
        return Double(events * passes) / BenchFigures.seconds(ContinuousClock.now - start)
    }

    /// What plain PostgreSQL does for a replay batch: fetch the next `limit` envelopes in
    /// order, decoding nothing and writing nothing. Returns the last position read.
    static func plainRead(after position: Int64, limit: Int, client: PostgresClient) async throws -> Int64 {
        let rows = try await client.query("""
            SELECT global_position, envelope FROM events WHERE global_position > \(position) ORDER BY global_position LIMIT \(limit)
            """)
        var last = position
        for try await (next, _) in rows.decode((Int64, ByteBuffer).self) { last = next }
        return last
    }
}

import ArgumentParser
import CaseDomain
import EventLog
import Foundation
import Logging
import Projections
import Synchronization

/// `tongban replay`: rebuilds every projection from position 0 and proves it equals the live one.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from the log into a fresh schema and compare it with the live one.",
        discussion: """
            Exits 2 when a rebuilt table differs from the live one (and prints the differing rows), \
            unless --swap makes the rebuild live. With --as-of the rebuild stops at that point of \
            the log and is kept for an audit instead of being compared. Connect as the tables' \
            owner: a rebuild creates a schema.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Replace the live projections with the rebuild, atomically.")
    var swap = false

    @Option(help: ArgumentHelp("Rebuild the state at a global position or an ISO-8601 time, into schema projections_as_of_<position>.", valueName: "position|time"))
    var asOf: String?

    @Option(help: "Events per transaction while rebuilding.")
    var batchSize = 5000

    func run() async throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size \(batchSize): from 1 to 100000") }
        guard !(swap && asOf != nil) else { throw ValidationError("--swap and --as-of exclude each other: an audit rebuild is never made live") }
        let url = try database.resolved()
        var logger = Logger(label: "tongban.replay")
        logger.logLevel = .warning
        try await withRunningClient(url, logger: logger) { client in
            let reader = EventReader(client: client, logger: logger)
            var position: Int64?
            if let asOf { position = try await Self.position(of: asOf, reader: reader) }
            let schema = ProjectionSchema(position.map { "projections_as_of_\($0)" } ?? "projections_replay")!
            let replay = Replay(projections: ProjectorService.all, into: schema, client: client, logger: logger)

            let started = ContinuousClock.now
            let progress = Mutex(ProgressLine())
            try await replay.rebuild(upTo: position, batchSize: batchSize) { done, target in
                let elapsed = (ContinuousClock.now - started).components
                let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                let rate = seconds > 0 ? Double(done) / seconds : 0
                let eta = rate > 0 ? Int(Double(target - done) / rate) : 0
                progress.withLock { $0.update("replayed \(done)/\(target) events, \(Int(rate)) events/s, ETA \(eta)s") }
            }
            progress.withLock { $0.finish() }

            if let position {
                print("rebuilt the projections as of position \(position) into schema \(schema) (kept for the audit; DROP SCHEMA \(schema) CASCADE when done)")
                return
            }
            let report = try await replay.compareWithLive()
            print("compared at log position \(report.position):")
            for comparison in report.comparisons {
                print("  \(comparison.matches ? "same     " : "DIFFERENT") live \(comparison.live) | rebuilt \(comparison.rebuilt)")
                guard !comparison.matches else { continue }
                let differences = try await replay.differences(in: comparison.live.table)
                for row in differences.onlyLive { print("      only live:    \(row)") }
                for row in differences.onlyRebuilt { print("      only rebuilt: \(row)") }
            }
            if swap {
                try await replay.swapIntoLive()
                print("the rebuild is now the live projections schema")
            } else {
                try await schema.drop(on: client, logger: logger)
                guard report.matches else {
                    print("the live projections differ from a replay of the log (rerun with --swap to replace them)")
                    throw ExitCode(2)
                }
                print("OK: the live projections equal a replay of the log")
            }
        }
    }

    /// A position given as a number, or the position the log stood at an ISO-8601 time.
    static func position(of text: String, reader: EventReader) async throws -> Int64 {
        if let position = Int64(text), position >= 0 { return position }
        guard let instant = Timestamp(iso8601: text) else {
            throw ValidationError("--as-of '\(text)': a global position (0, 1, …) or an ISO-8601 time such as 2026-11-20T02:00:00Z")
        }
        return try await reader.position(asOf: instant)
    }
}

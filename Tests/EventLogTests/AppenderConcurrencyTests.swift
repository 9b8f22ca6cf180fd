import CaseDomain
import EventLog
import Foundation
import TestSupport
import Testing

@Suite("Invariant 4: one appender, gap-free global order")
struct AppenderConcurrencyTests {
    /// 16 writers on two appenders (as two processes would be) append a few thousand events
    /// of random sizes with random pauses while a reader follows the log; repeated rounds.
    @Test func globalPositionsAreGaplessUnderConcurrentAppends() async throws {
        try await withTestDatabase { database in
            let appenders = [database.appender(maximumEventsPerCommit: 64), database.appender(maximumEventsPerCommit: 500)]
            let notifier = LogNotifier(client: database.service)
            let reader = EventReader(client: database.service)
            let rounds = 4
            let writers = 16
            let appendsPerWriter = 40
            var seenPositions: [Int64] = []
            var seenIds: Set<UUID> = []
            var acknowledged: [Int64: UUID] = [:]

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.run() }
                defer { group.cancelAll() }
                var followed = reader.follow(after: 0, batchSize: 97, notifier: notifier, pollInterval: .milliseconds(200)).makeAsyncIterator()
                for round in 0..<rounds {
                    let outcomes = try await withThrowingTaskGroup(of: [AppendOutcome].self) { writersGroup in
                        for writer in 0..<writers {
                            writersGroup.addTask {
                                var outcomes: [AppendOutcome] = []
                                var version: Int64 = 0
                                for _ in 0..<appendsPerWriter {
                                    let count = Int.random(in: 1...4)
                                    let events = (0..<count).map { _ in sampleEvent(size: Int.random(in: 1...2000)) }
                                    let outcome = try await appenders[writer % 2].append(to: "stream-\(round)-\(writer)", expectedVersion: version, events: events)
                                    version = outcome.streamVersion
                                    outcomes.append(outcome)
                                    if Bool.random() { try await Task.sleep(for: .microseconds(Int.random(in: 0...3000))) }
                                }
                                return outcomes
                            }
                        }
                        return try await writersGroup.reduce(into: []) { $0 += $1 }
                    }
                    for outcome in outcomes {
                        for (position, event) in zip(outcome.globalPositions, outcome.events) {
                            acknowledged[position] = event.envelope.eventId
                        }
                    }
                    while seenPositions.count < acknowledged.count {
                        guard let event = try await followed.next() else { break }
                        seenPositions.append(event.globalPosition)
                        #expect(seenIds.insert(event.envelope.eventId).inserted, "event \(event.envelope.eventId) delivered twice")
                        #expect(acknowledged[event.globalPosition] == event.envelope.eventId,
                                "position \(event.globalPosition) holds \(event.envelope.eventId), the appender acknowledged \(String(describing: acknowledged[event.globalPosition]))")
                    }
                }
            }
            #expect(seenPositions == Array(1...Int64(acknowledged.count)), "the follower must see positions 1..n in order, without gap or repeat")
            let stored = try await database.count("SELECT count(*) FROM events")
            #expect(stored == acknowledged.count)
            #expect(try await database.count("SELECT max(global_position) FROM events") == stored)
            #expect(try await database.count("SELECT max(origin_seq) FROM events WHERE origin_node = 'rizhao'") == stored,
                    "origin sequence numbers must be 1..n for the node's own events")
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.isIntact, "the chain written concurrently must verify: \(report.problems)")
        }
    }

    /// A follower is woken by the commit's NOTIFY, not only by its poll.
    @Test func followerWakesOnNotificationWithoutPolling() async throws {
        try await withTestDatabase { database in
            let notifier = LogNotifier(client: database.service)
            let appender = database.appender()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.run() }
                defer { group.cancelAll() }
                var followed = EventReader(client: database.service)
                    .follow(after: 0, notifier: notifier, pollInterval: .seconds(120)).makeAsyncIterator()
                // Let the listener connect, then append: only NOTIFY can wake the follower in time.
                try await Task.sleep(for: .milliseconds(500))
                let start = ContinuousClock.now
                group.addTask {
                    try await Task.sleep(for: .milliseconds(200))
                    _ = try await appender.append(to: "case-notify", expectedVersion: 0, events: [sampleEvent()])
                }
                let event = try await followed.next()
                #expect(event?.globalPosition == 1)
                #expect(ContinuousClock.now - start < .seconds(30), "the follower should wake on NOTIFY, not the 120 s poll")
            }
        }
    }

    /// One writer alternates between two appenders (two processes), so each appender's
    /// cached heads go stale for its stream: the stale cache must neither refuse a correct
    /// expected version nor misplace an event. Every acknowledged event must be at its
    /// position, chained, once.
    @Test func staleCachedHeadsNeverRefuseOrMisplaceAnAppend() async throws {
        try await withTestDatabase { database in
            let main = database.appender()
            let rival = database.appender()
            let writers = 8
            let outcomes = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var outcomes: [AppendOutcome] = []
                        var version: Int64 = 0
                        for round in 0..<12 {
                            let appender = writer == 0 && round % 3 == 0 ? rival : main
                            let events = (0..<Int.random(in: 20...60)).map { _ in sampleEvent(size: Int.random(in: 1...300)) }
                            let outcome = try await appender.append(to: "bulk-\(writer)", expectedVersion: version, events: events)
                            version = outcome.streamVersion
                            outcomes.append(outcome)
                        }
                        return outcomes
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let acknowledged = outcomes.flatMap { zip($0.globalPositions, $0.events.map(\.hash)) }
            #expect(acknowledged.map(\.0).sorted() == Array(1...Int64(acknowledged.count)), "acknowledged positions must be 1..n, each once")
            let stored = try await EventReader(client: database.service).readBatch(after: 0, limit: 100_000)
            #expect(stored.map(\.globalPosition) == Array(1...Int64(acknowledged.count)))
            let storedHashes = Dictionary(uniqueKeysWithValues: stored.map { ($0.globalPosition, $0.signed.hash) })
            #expect(acknowledged.allSatisfy { storedHashes[$0.0] == $0.1 }, "each acknowledged event must be stored at the position it was given")
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.isIntact, "\(report.problems)")
        }
    }
}

import CaseDomain
import EventLog
import TestSupport
import Testing

@Suite("Invariant 2: stream versions with optimistic concurrency")
struct ConflictTests {
    @Test func exactlyOneOfConcurrentAppendsAtTheSameVersionWins() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "case-contested", expectedVersion: 0, events: [sampleEvent()])
            for round in 0..<5 {
                let expected = Int64(1 + 2 * round)
                let contenders = 24
                let results = await withTaskGroup(of: (Bool, Result<AppendOutcome, AppendError>).self) { group in
                    for index in 0..<(contenders * 2) {
                        let contested = index % 2 == 0
                        group.addTask {
                            do throws(AppendError) {
                                let stream = contested ? "case-contested" : "case-innocent-\(round)-\(index)"
                                let outcome = try await appender.append(to: stream, expectedVersion: contested ? expected : 0, events: [sampleEvent(), sampleEvent()])
                                return (contested, .success(outcome))
                            } catch {
                                return (contested, .failure(error))
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let contested = results.filter(\.0).map(\.1)
                let innocent = results.filter { !$0.0 }.map(\.1)
                let winners = contested.filter { if case .success = $0 { true } else { false } }
                #expect(winners.count == 1, "exactly one append at version \(expected) must win, \(winners.count) did")
                for result in contested {
                    if case .failure(let error) = result {
                        #expect(error == .conflict(stream: "case-contested", expected: expected, actual: expected + 2))
                    }
                }
                for result in innocent {
                    if case .failure(let error) = result { Issue.record("an innocent append failed with the group: \(error)") }
                }
            }
            #expect(try await database.count("SELECT max(stream_version) FROM events WHERE stream_id = 'case-contested'") == 11)
            #expect(try await database.count("SELECT count(*) FROM events WHERE stream_id = 'case-contested'") == 11)
        }
    }

    @Test func aConflictWritesNothing() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "case-1", expectedVersion: 0, events: [sampleEvent(), sampleEvent()])
            await #expect(throws: AppendError.conflict(stream: "case-1", expected: 1, actual: 2)) {
                try await appender.append(to: "case-1", expectedVersion: 1, events: [sampleEvent()])
            }
            await #expect(throws: AppendError.conflict(stream: "case-new", expected: 3, actual: 0)) {
                try await appender.append(to: "case-new", expectedVersion: 3, events: [sampleEvent()])
            }
            #expect(try await database.count("SELECT count(*) FROM events") == 2)
            let next = try await appender.append(to: "case-1", expectedVersion: 2, events: [sampleEvent()])
            #expect(next.streamVersion == 3)
            #expect(next.globalPositions == [3], "a refused append must not consume a global position")
            #expect(next.events[0].envelope.originSeq == 3, "a refused append must not consume an origin sequence number")
        }
    }

    @Test func malformedAppendsAreRefusedBeforeTheDatabase() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            await #expect(throws: AppendError.self) { try await appender.append(to: "", expectedVersion: 0, events: [sampleEvent()]) }
            await #expect(throws: AppendError.self) { try await appender.append(to: "case-1", expectedVersion: 0, events: []) }
            await #expect(throws: AppendError.self) { try await appender.append(to: "case-1", expectedVersion: -1, events: [sampleEvent()]) }
            await #expect(throws: AppendError.self) { try await appender.append(to: "case-1", expectedVersion: 0, events: [sampleEvent(type: "")]) }
            let stored = try await database.count("SELECT count(*) FROM events")
            #expect(stored == 0)
        }
    }
}

import CaseDomain
import EventLog
import TestSupport
import Testing

@Suite("Atomic appends across streams")
struct AtomicAppendTests {
    @Test func aConflictOnOneStreamWritesNoneOfTheAppend() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "numbering-licang-2026", expectedVersion: 0, events: [sampleEvent(type: "NumberAllotted")])
            await #expect(throws: AppendError.conflict(stream: "numbering-licang-2026", expected: 0, actual: 1)) {
                try await appender.appendAtomically([
                    StreamAppend(stream: "case-1", expectedVersion: 0, events: [sampleEvent(type: "AidDecided")]),
                    StreamAppend(stream: "numbering-licang-2026", expectedVersion: 0, events: [sampleEvent(type: "NumberAllotted")]),
                ])
            }
            #expect(try await database.count("SELECT count(*) FROM events WHERE stream_id = 'case-1'") == 0)
            await #expect(throws: AppendError.self, "one stream twice in an atomic append is refused") {
                try await appender.appendAtomically([StreamAppend(stream: "a", expectedVersion: 0, events: [sampleEvent()]),
                                                     StreamAppend(stream: "a", expectedVersion: 1, events: [sampleEvent()])])
            }
        }
    }

    /// Concurrent grants at one centre each take the next number by appending to the
    /// centre's numbering stream in the same atomic append as the grant: the numbers come
    /// out 1..n, each once, whatever the interleaving.
    @Test func concurrentGrantsGetGaplessNumbers() async throws {
        try await withTestDatabase { database in
            let appenders = [database.appender(), database.appender()]
            let reader = EventReader(client: database.service)
            let grants = 30
            let numbers = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<grants {
                    group.addTask {
                        while true {
                            let allotted = Int64(try await reader.readStream("numbering-licang-2026").count)
                            do {
                                let outcomes = try await appenders[index % 2].appendAtomically([
                                    StreamAppend(stream: "case-\(index)", expectedVersion: 0, events: [sampleEvent(type: "AidDecided")]),
                                    StreamAppend(stream: "numbering-licang-2026", expectedVersion: allotted, events: [sampleEvent(type: "NumberAllotted")]),
                                ])
                                return outcomes[1].streamVersion
                            } catch AppendError.conflict(stream: "numbering-licang-2026", _, _) {
                                continue  // another grant took this number: take the next
                            }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(numbers.sorted() == Array(1...Int64(grants)), "numbers must be 1..\(grants), each once")
            #expect(try await database.count("SELECT count(DISTINCT stream_id) FROM events WHERE type = 'AidDecided'") == grants)
        }
    }
}

import CaseDomain
import EventLog
import TestSupport
import Testing

@Suite("Readers: a stream from a version, the whole log in bounded batches")
struct ReaderTests {
    @Test func aStreamIsReadInVersionOrderFromAVersion() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            for version in 0..<5 {
                _ = try await appender.append(to: "case-a", expectedVersion: Int64(version), events: [sampleEvent(type: "A\(version + 1)")])
                _ = try await appender.append(to: "case-b", expectedVersion: Int64(version), events: [sampleEvent(type: "B\(version + 1)")])
            }
            let reader = EventReader(client: database.service)
            #expect(try await reader.readStream("case-a").map(\.envelope.type) == ["A1", "A2", "A3", "A4", "A5"])
            #expect(try await reader.readStream("case-b", fromVersion: 4).map(\.envelope.streamVersion) == [4, 5])
            #expect(try await reader.readStream("case-none").isEmpty)
        }
    }

    @Test func readAllVisitsEveryEventOnceAcrossBatches() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "case-long", expectedVersion: 0, events: (0..<53).map { _ in sampleEvent() })
            let reader = EventReader(client: database.service)
            var positions: [Int64] = []
            for try await event in reader.readAll(after: 0, batchSize: 7) { positions.append(event.globalPosition) }
            #expect(positions == Array(1...53))
            var tail: [Int64] = []
            for try await event in reader.readAll(after: 50, batchSize: 7) { tail.append(event.globalPosition) }
            #expect(tail == [51, 52, 53])
            #expect(try await reader.headPosition() == 53)
        }
    }
}

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

    /// A peer catching up imports the batch as it comes: the answer must follow this log's
    /// (causal) order, not origin names, or a later version of a stream written at an origin
    /// sorting first would reach the peer before the version it follows.
    @Test func eventsAPeerLacksComeInCausalOrderAndImportWithoutQuarantine() async throws {
        let everything = try await withTestDatabase { relay in
            let rizhao = relay.appender(node: "rizhao")
            _ = try await rizhao.append(to: "case-x", expectedVersion: 0, events: [sampleEvent(type: "Submitted")])
            var qingdao = OriginChain("qingdao")
            try qingdao.add(to: "case-q")
            try qingdao.add(to: "case-x", version: 2, type: "Accepted")
            _ = try await rizhao.importEvents(qingdao.events)
            _ = try await rizhao.append(to: "case-x", expectedVersion: 2, events: [sampleEvent(type: "Noted")])
            let reader = EventReader(client: relay.service)
            #expect(try await reader.versionVector() == [NodeID(rawValue: "rizhao")!: 2, NodeID(rawValue: "qingdao")!: 2])

            let everything = try await reader.events(missingFrom: [:], limit: 100)
            #expect(everything.map(\.globalPosition) == [1, 2, 3, 4])
            let partial = try await reader.events(missingFrom: [NodeID(rawValue: "rizhao")!: 1, NodeID(rawValue: "qingdao")!: 2], limit: 100)
            #expect(partial.map(\.envelope.type) == ["Noted"])
            #expect(try await reader.events(missingFrom: try await reader.versionVector(), limit: 100).isEmpty)
            #expect(try await reader.events(missingFrom: [:], limit: 2).map(\.globalPosition) == [1, 2])

            return everything.map(\.signed)
        }
        try await withTestDatabase { peer in
            let outcome = try await peer.appender(node: "weihai").importEvents(everything)
            #expect(outcome == ImportOutcome(imported: 4), "nothing may be quarantined when the batch follows the log's order")
            #expect(try await EventReader(client: peer.service).readStream("case-x").map(\.envelope.type) == ["Submitted", "Accepted", "Noted"])
        }
    }
}

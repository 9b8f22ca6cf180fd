import CaseDomain
import Crypto
import EventLog
import TestSupport
import Testing

@Suite("Invariants 3, 5, 6: import checks origin chains and signatures, idempotently")
struct ImportTests {
    static func qingdaoChain(_ count: Int) throws -> OriginChain {
        var chain = OriginChain("qingdao")
        for index in 0..<count { try chain.add(to: "case-q\(index % 3)") }
        return chain
    }

    @Test func importingTheSameBatchTwiceChangesNothing() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            let chain = try Self.qingdaoChain(6)
            let first = try await appender.importEvents(chain.events)
            #expect(first == ImportOutcome(imported: 6))
            let again = try await appender.importEvents(chain.events)
            #expect(again == ImportOutcome(imported: 0, alreadyHeld: 6))
            let overlapping = try await appender.importEvents(Array(chain.events[3...]))
            #expect(overlapping.alreadyHeld == 3 && overlapping.imported == 0)
            #expect(try await database.count("SELECT count(*) FROM events") == 6)
            let stored = try await EventReader(client: database.service).readBatch(after: 0, limit: 100)
            #expect(stored.map(\.signed) == chain.events, "imported events must be stored byte for byte as signed")
        }
    }

    @Test func overlappingBatchesImportOnlyWhatIsNew() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            let chain = try Self.qingdaoChain(5)
            _ = try await appender.importEvents(Array(chain.events[0..<3]))
            let outcome = try await appender.importEvents(Array(chain.events[1..<5]))
            #expect(outcome == ImportOutcome(imported: 2, alreadyHeld: 2))
            #expect(try await database.count("SELECT max(origin_seq) FROM events WHERE origin_node = 'qingdao'") == 5)
        }
    }

    /// Each corruption must reject the origin's whole batch, valid events before it included.
    /// (An unknown origin is refused alone: the known origin's events beside it import, see
    /// ``HostileImportTests/aBadOriginStopsOnlyItsOwnChain()``.)
    @Test(arguments: Corruption.allCases)
    func aCorruptBatchIsRejectedWhole(corruption: Corruption) async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "case-local", expectedVersion: 0, events: [sampleEvent()])
            let batch = try corruption.batch()
            if corruption == .unknownOrigin {
                let outcome = try await appender.importEvents(batch)
                #expect(outcome.imported == 4 && outcome.refused.keys.map(\.rawValue) == ["yantai"], "\(outcome)")
                #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node = 'yantai'") == 0)
                return
            }
            await #expect(throws: ImportError.self, "a batch with \(corruption) must be rejected") {
                try await appender.importEvents(batch)
            }
            #expect(try await database.count("SELECT count(*) FROM events") == 1, "nothing of a rejected batch may be written")
            // The appender goes on working after a rejection.
            _ = try await appender.append(to: "case-local", expectedVersion: 1, events: [sampleEvent()])
        }
    }

    enum Corruption: String, CaseIterable, CustomTestStringConvertible {
        case badSignature, alteredBytes, gapInOriginSeq, wrongPrevHash, unknownOrigin, forkedHistory

        var testDescription: String { rawValue }

        func batch() throws -> [SignedEvent] {
            let chain = try ImportTests.qingdaoChain(4)
            var events = chain.events
            switch self {
            case .badSignature:
                var signature = events[2].signature
                signature[10] ^= 0x01
                events[2] = try events[2].tampered(signature: signature)
            case .alteredBytes:
                let altered = Array(String(decoding: events[2].canonicalBytes, as: UTF8.self)
                    .replacingOccurrences(of: "from qingdao", with: "from nowhere").utf8)
                events[2] = try events[2].tampered(bytes: altered)
            case .gapInOriginSeq:
                events.remove(at: 1)
            case .wrongPrevHash:
                events[1] = try resigned(events[1], key: chain.key) { $0.prevHash = EventHash(of: [1, 2, 3]) }
            case .unknownOrigin:
                var stranger = OriginChain(key: NodeSigningKey.generate(for: NodeID(rawValue: "yantai")!))
                try stranger.add(to: "case-y")
                events.append(contentsOf: stranger.events)
            case .forkedHistory:
                // The origin signed two different events as its seq 2.
                events.append(try resigned(events[1], key: chain.key) { $0.body = .object(["note": .string("rewritten history")]) })
            }
            return events
        }
    }

    @Test func aForkAgainstTheStoredChainIsRejected() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            let chain = try Self.qingdaoChain(3)
            _ = try await appender.importEvents(chain.events)
            let fork = try resigned(chain.events[1], key: chain.key) { $0.body = .object(["note": .string("rewritten history")]) }
            await #expect(throws: ImportError.forked(origin: chain.key.node, seq: 2, held: chain.events[1].hash, received: fork.hash)) {
                try await appender.importEvents([fork])
            }
            #expect(try await database.count("SELECT count(*) FROM events") == 3)
        }
    }

    /// Another process appended after this appender cached the stream's version: an
    /// import that follows the real stream must be accepted, not quarantined by the stale cache.
    @Test func aStaleCacheNeverQuarantinesAnImport() async throws {
        try await withTestDatabase { database in
            let cached = database.appender()
            let otherProcess = database.appender()
            _ = try await cached.append(to: "case-shared", expectedVersion: 0, events: [sampleEvent()])
            _ = try await otherProcess.append(to: "case-shared", expectedVersion: 1, events: [sampleEvent()])
            var chain = OriginChain("qingdao")
            try chain.add(to: "case-shared", version: 3)
            let outcome = try await cached.importEvents(chain.events)
            #expect(outcome == ImportOutcome(imported: 1), "the import follows the stream (v2 → v3) and must not be quarantined")
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason IS NOT NULL") == 0)
        }
    }

    @Test func aStreamVersionConflictIsQuarantinedAndTheChainGoesOn() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            _ = try await appender.append(to: "case-shared", expectedVersion: 0, events: [sampleEvent()])
            var chain = OriginChain("qingdao")
            let clash = try chain.add(to: "case-shared", version: 1)
            try chain.add(to: "case-q")
            let outcome = try await appender.importEvents(chain.events)
            #expect(outcome.imported == 2)
            #expect(outcome.quarantined.keys.sorted { $0.hex < $1.hex } == [clash.hash], "the clashing event is kept, marked, not dropped")
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason IS NOT NULL") == 1)
            let stream = try await EventReader(client: database.service).readStream("case-shared")
            #expect(stream.map(\.envelope.originNode.rawValue) == ["rizhao"], "a quarantined event is not part of its stream")
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.isIntact && report.origins[chain.key.node]?.quarantined == 1)
        }
    }
}

/// A validly signed copy of `event` with its envelope changed by `change`.
func resigned(_ event: SignedEvent, key: NodeSigningKey, _ change: (inout EventEnvelope) -> Void) throws -> SignedEvent {
    var envelope = event.envelope
    change(&envelope)
    return try SignedEvent(signing: envelope, with: key)
}

import CaseDomain
import EventLog
import Federation
import Foundation
import PostgresNIO
import TestSupport
import Testing

@Suite("Witnessing: a node's checkpoints, the peers' it confirms and cosigns, and what verify proves with them")
struct CheckpointStoreTests {
    static let rizhao = NodeID(rawValue: "rizhao")!
    static let qingdao = NodeID(rawValue: "qingdao")!

    /// rizhao's store over `database` (the service role: what the node itself may do).
    static func store(_ database: TestDatabase) -> CheckpointStore {
        CheckpointStore(client: database.service, key: TestDatabase.key("rizhao"), keyring: TestDatabase.keyring)
    }

    static func audit(_ database: TestDatabase, external: [SignedCheckpoint] = []) async throws -> CheckpointAudit.Report {
        try await CheckpointAudit(client: database.service, keyring: TestDatabase.keyring).audit(external: external)
    }

    static func hash(_ database: TestDatabase, _ origin: String, _ seq: Int) async throws -> EventHash {
        let rows = try await database.superuser.query(PostgresQuery(unsafeSQL: "SELECT hash FROM events WHERE origin_node = '\(origin)' AND origin_seq = \(seq)"))
        for try await bytes in rows.decode(ByteBuffer.self) { return try #require(EventHash(bytes: Array(bytes.readableBytesView))) }
        throw CancellationError()
    }

    @Test func aNodeSignsItsHeadOnlyWhenItsChainGrew() async throws {
        try await withTestDatabase { database in
            try await VerifyTests.populate(database)
            let store = Self.store(database)
            let first = try #require(try await store.signOwnHead())
            #expect(first.origin == Self.rizhao && first.seq == 10)
            #expect(first.hash == (try await Self.hash(database, "rizhao", 10)))
            #expect(first.isSigned(by: TestDatabase.keyring))
            #expect(try await store.signOwnHead() == nil, "nothing new, no checkpoint")
            _ = try await database.appender().append(to: "case-9", expectedVersion: 0, events: [sampleEvent(size: 1)])
            #expect(try await store.signOwnHead()?.seq == 11)
            let report = try await Self.audit(database)
            #expect(report.isIntact, "\(report.findings)")
            #expect(report.witnessed[Self.rizhao]?.seq == 11)
        }
    }

    @Test func aPeersCheckpointIsKeptOnlySignedAndConfirmedAndCosignedOnlyWhenTheEventMatches() async throws {
        try await withTestDatabase { database in
            let chain = try ImportTests.qingdaoChain(6)
            _ = try await database.appender().importEvents(Array(chain.events.prefix(5)))
            let store = Self.store(database), qingdao = TestDatabase.key("qingdao")
            let now = Timestamp(Date())
            let held = try SignedCheckpoint.sign(seq: 5, hash: try await Self.hash(database, "qingdao", 5), at: now, with: qingdao)
            let ahead = try SignedCheckpoint.sign(seq: 6, hash: EventHash(of: Data("not yet here".utf8)), at: now, with: qingdao)
            let forged = try SignedCheckpoint.sign(seq: 4, hash: EventHash(of: Data("forged".utf8)), at: now, with: TestDatabase.key("weihai"))
            let impostor = SignedCheckpoint(origin: Self.qingdao, seq: 4, hash: forged.hash, signedAt: now, signature: forged.signature, cosignatures: [:])
            let outcome = try await store.receive([held, ahead, impostor], from: NodeID(rawValue: "weihai")!)
            #expect(outcome == .init(kept: 2, refused: 1, confirmed: 1))
            #expect(outcome.contradicting.isEmpty)
            #expect(try await database.count("SELECT count(*) FROM checkpoints WHERE origin = 'qingdao' AND origin_seq = 4") == 0, "a forged checkpoint is never stored")
            #expect(try await database.count("SELECT count(*) FROM checkpoints WHERE origin = 'qingdao' AND NOT confirmed") == 1)
            let gossip = try await store.gossip()
            let told = try #require(gossip.first { $0.origin == Self.qingdao })
            #expect(told.seq == 5 && told.validCosignatures(in: TestDatabase.keyring).keys.contains(Self.rizhao), "confirmed and cosigned by rizhao")
            #expect(!gossip.contains { $0.seq == 6 }, "an unconfirmed checkpoint is not passed on")
            #expect(try await Self.audit(database).isIntact, "a checkpoint ahead of the log is no finding")

            // The event arrives: the waiting checkpoint is confirmed and cosigned.
            let sixth = try #require(chain.events.last)
            let real = try SignedCheckpoint.sign(seq: 6, hash: sixth.hash, at: now, with: qingdao)
            _ = try await database.appender().importEvents(Array(chain.events.suffix(1)))
            let arrival = try await store.receive([real], from: Self.qingdao)
            #expect(arrival.confirmed == 1)
            #expect(arrival.contradicting == [real], "the true checkpoint of seq 6 meets the other one kept before")
            // ... and the two checkpoints of seq 6 are qingdao's equivocation, the one that disagrees with the log a mismatch.
            let report = try await Self.audit(database)
            let kinds = report.findings.map(\.kind)
            #expect(kinds.contains(.equivocation) && kinds.contains(.mismatch), "\(report.findings)")
            let equivocation = try #require(report.findings.first { $0.kind == .equivocation })
            #expect(equivocation.origin == Self.qingdao)
            #expect(equivocation.detail.contains(String(real.hash.hex.prefix(16))) && equivocation.detail.contains(String(ahead.hash.hex.prefix(16))),
                    "both checkpoints named: \(equivocation)")
            #expect(equivocation.detail.contains("from weihai") && equivocation.detail.contains("from qingdao"), "and whom each came from: \(equivocation)")
        }
    }

    @Test func pruningKeepsTheNewestConfirmedCheckpointAndTheEvidence() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            let store = Self.store(database)
            for index in 0..<4 {
                _ = try await appender.append(to: "case-\(index)", expectedVersion: 0, events: [sampleEvent()])
                try await store.signOwnHead()
            }
            let chain = try ImportTests.qingdaoChain(3)
            _ = try await appender.importEvents(chain.events)
            let qingdao = TestDatabase.key("qingdao"), now = Timestamp(Date())
            // Three that contradict the log (evidence) and seventy ahead of it, eight at a time as pulls bring them.
            let evidence = try (1...3).map { try SignedCheckpoint.sign(seq: Int64($0), hash: EventHash(of: Data("fork \($0)".utf8)), at: now, with: qingdao) }
            let ahead = try (4...73).map { try SignedCheckpoint.sign(seq: Int64($0), hash: EventHash(of: Data("later \($0)".utf8)), at: now, with: qingdao) }
            let flood = try await store.receive(ahead, from: Self.qingdao)
            #expect(flood.kept == CheckpointStore.maximumPerOrigin && flood.refused == 70 - CheckpointStore.maximumPerOrigin,
                    "one answer brings at most \(CheckpointStore.maximumPerOrigin) of an origin: \(flood)")
            for start in stride(from: 0, to: ahead.count, by: CheckpointStore.maximumPerOrigin) {
                _ = try await store.receive(Array(ahead[start..<min(start + CheckpointStore.maximumPerOrigin, ahead.count)]), from: Self.qingdao)
            }
            #expect(try await store.receive(evidence, from: Self.qingdao).contradicting.count == 3)
            #expect(try await store.receive(evidence, from: Self.qingdao).contradicting.isEmpty, "known evidence is not news")
            #expect(try await store.prune() == 70 - CheckpointStore.maximumPending, "recent confirmed ones stay; the oldest of those ahead of the log go")
            #expect(try await store.prune(olderThan: .seconds(0)) == 3, "confirmed ones but the newest go once old")
            #expect(try await database.count("SELECT count(*) FROM checkpoints WHERE origin = 'rizhao'") == 1)
            #expect(try await database.count("SELECT max(origin_seq) FROM checkpoints WHERE origin = 'rizhao'") == 4)
            #expect(try await database.count("SELECT count(*) FROM checkpoints WHERE origin = 'qingdao' AND origin_seq <= 3") == 3, "the evidence stays")
            #expect(try await database.count("SELECT min(origin_seq) FROM checkpoints WHERE origin = 'qingdao' AND origin_seq > 3") == 73 - CheckpointStore.maximumPending + 1)
            let report = try await Self.audit(database)
            #expect(report.witnessed[Self.rizhao]?.seq == 4)
            #expect(report.findings.filter { $0.kind == .mismatch }.count == 3, "\(report.findings) \(report.witnessed)")
        }
    }

    @Test func deletingTheNewestEventIsNamedByTheNodesOwnCheckpointAndByAnExportedFile() async throws {
        try await withTestDatabase { database in
            try await VerifyTests.populate(database)
            let store = Self.store(database)
            try await store.signOwnHead()
            let exported = try CheckpointText.parse(CheckpointText.format(try await CheckpointStore.newestCosigned(client: database.service)))
            #expect(exported.map(\.seq).contains(10))

            try await VerifyTests.tamper(database, ["DELETE FROM events WHERE origin_node = 'rizhao' AND origin_seq = 10"])
            let report = try await Self.audit(database)
            let truncated = try #require(report.findings.first { $0.kind == .truncated })
            #expect(truncated.origin == Self.rizhao)
            #expect(truncated.detail.contains("ends at seq 9") && truncated.detail.contains("checkpoint seq 10"), "\(truncated)")

            // Whoever deleted the event deletes the checkpoint too: the exported file still names it.
            _ = try await database.superuser.query("DELETE FROM checkpoints WHERE origin = 'rizhao'")
            #expect(try await Self.audit(database).isIntact)
            let withFile = try await Self.audit(database, external: exported)
            #expect(withFile.findings.contains { $0.kind == .truncated && $0.origin == Self.rizhao && $0.detail.contains("from the checkpoint file") },
                    "\(withFile.findings)")
        }
    }
}

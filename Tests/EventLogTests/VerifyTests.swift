import CaseDomain
import EventLog
import Logging
import PostgresNIO
import TestSupport
import Testing

@Suite("Invariant 3: verify proves the origin chains untouched")
struct VerifyTests {
    /// A log with local events of rizhao and imported events of qingdao.
    static func populate(_ database: TestDatabase) async throws {
        let appender = database.appender()
        for index in 0..<10 {
            _ = try await appender.append(to: "case-\(index % 4)", expectedVersion: Int64(index / 4), events: [sampleEvent(size: index + 1)])
        }
        _ = try await appender.importEvents(try ImportTests.qingdaoChain(5).events)
    }

    /// Runs `statements` as the superuser with the immutability triggers disabled.
    static func tamper(_ database: TestDatabase, _ statements: [String]) async throws {
        let logger = Logger(label: "test")
        try await database.superuser.withTransaction(logger: logger) { connection in
            _ = try await connection.query("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete", logger: logger)
            for statement in statements { _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            _ = try await connection.query("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete", logger: logger)
        }
    }

    static func verify(_ database: TestDatabase) async throws -> ChainVerifier.Report {
        try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify(batchSize: 4)
    }

    @Test func aCleanLogVerifies() async throws {
        try await withTestDatabase { database in
            try await Self.populate(database)
            let report = try await Self.verify(database)
            #expect(report.isIntact, "\(report.problems)")
            #expect(report.eventsChecked == 15)
            #expect(report.origins[NodeID(rawValue: "rizhao")!]?.headSeq == 10)
            #expect(report.origins[NodeID(rawValue: "qingdao")!]?.headSeq == 5)
        }
    }

    @Test func anAlteredEnvelopeIsNamed() async throws {
        try await withTestDatabase { database in
            try await Self.populate(database)
            try await Self.tamper(database, ["""
                UPDATE events SET envelope = convert_to(replace(convert_from(envelope, 'UTF8'), '"size":7', '"size":8'), 'UTF8')
                 WHERE origin_node = 'rizhao' AND origin_seq = 7
                """])
            let report = try await Self.verify(database)
            #expect(!report.isIntact)
            let problem = try #require(report.problems.first)
            #expect(problem.origin.rawValue == "rizhao" && problem.seq == 7, "verify must name rizhao seq 7, named \(problem)")
            guard case .hashMismatch = problem.error else { Issue.record("expected a hash mismatch, got \(problem.error)"); return }
        }
    }

    @Test func anAlteredColumnIsNamed() async throws {
        try await withTestDatabase { database in
            try await Self.populate(database)
            try await Self.tamper(database, ["UPDATE events SET stream_id = 'case-elsewhere' WHERE origin_node = 'qingdao' AND origin_seq = 3"])
            let report = try await Self.verify(database)
            #expect(report.problems.count == 1)
            let problem = try #require(report.problems.first)
            #expect(problem.origin.rawValue == "qingdao" && problem.seq == 3 && problem.globalPosition == 13,
                    "verify must name qingdao seq 3 at position 13, named \(problem)")
            #expect(problem.error == .columnMismatch("stream_id"))
        }
    }

    @Test func aReplacedSignatureIsNamed() async throws {
        try await withTestDatabase { database in
            try await Self.populate(database)
            try await Self.tamper(database, ["""
                UPDATE events SET signature = (SELECT signature FROM events WHERE origin_node = 'rizhao' AND origin_seq = 1)
                 WHERE origin_node = 'rizhao' AND origin_seq = 4
                """])
            let report = try await Self.verify(database)
            #expect(report.problems.map(\.seq) == [4])
            #expect(report.problems.first?.error == .badSignature)
        }
    }

    @Test func aDeletedEventIsNamed() async throws {
        try await withTestDatabase { database in
            try await Self.populate(database)
            try await Self.tamper(database, ["DELETE FROM events WHERE origin_node = 'rizhao' AND origin_seq = 5"])
            let report = try await Self.verify(database)
            let problem = try #require(report.problems.first)
            #expect(problem.origin.rawValue == "rizhao" && problem.error == .sequenceGap(expected: 5, found: 6),
                    "verify must say that rizhao seq 5 is missing, said \(problem)")
            #expect(report.firstMissingPosition == 5)
        }
    }
}

import CaseDomain
import EventLog
import PostgresNIO
import TestSupport
import Testing

/// An append is answered only once its commit is known to have succeeded.
///
/// PostgresNIO completes a statement at its CommandComplete, but a statement outside a
/// transaction block commits only at the Sync that follows, after the CommandComplete has
/// gone out. The commit can still fail there: a deferred constraint, a full disk, or a
/// synchronous standby that never confirms before the primary is lost (the failover test
/// saw 3 of ~150 acknowledged applications missing from the promoted standby). A commit
/// that fails at that point must not be reported as an accepted append.
@Suite("Appends are acknowledged after their commit")
struct AcknowledgedCommitTests {
    /// A constraint trigger checked at commit, which refuses the events of streams whose
    /// name starts with `prefix`: the insert itself succeeds and only the commit fails.
    static func refuseAtCommit(streamsStartingWith prefix: String, in database: TestDatabase) async throws {
        _ = try await database.owner.query(PostgresQuery(unsafeSQL: """
            CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF starts_with(NEW.stream_id, '\(prefix)') THEN RAISE EXCEPTION 'refused at commit'; END IF;
              RETURN NULL;
            END $$
            """))
        _ = try await database.owner.query("""
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON events
              DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()
            """)
    }

    @Test func anAppendWhoseCommitFailsIsNotAcknowledged() async throws {
        try await withTestDatabase { database in
            try await Self.refuseAtCommit(streamsStartingWith: "case-refused", in: database)
            let appender = database.appender()
            _ = try await appender.append(to: "case-accepted", expectedVersion: 0, events: [sampleEvent()])
            await #expect(throws: AppendError.self, "the commit failed, so the append must fail") {
                try await appender.append(to: "case-refused", expectedVersion: 0, events: [sampleEvent()])
            }
            #expect(try await database.count("SELECT count(*) FROM events WHERE stream_id = 'case-refused'") == 0)
            let next = try await appender.append(to: "case-accepted", expectedVersion: 1, events: [sampleEvent()])
            #expect(next.streamVersion == 2, "the appender goes on after the failed commit")
            #expect(try await database.count("SELECT count(*) FROM events") == 2)
        }
    }

    /// Concurrent appends grouped into one commit: when that commit fails, none of the
    /// group's callers is told it succeeded.
    @Test func noCallerOfAFailedGroupCommitIsAcknowledged() async throws {
        try await withTestDatabase { database in
            try await Self.refuseAtCommit(streamsStartingWith: "case-refused", in: database)
            let appender = database.appender()
            let acknowledged = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<40 {
                    let stream = index % 4 == 0 ? "case-refused-\(index)" : "case-\(index)"
                    group.addTask {
                        let outcome = try? await appender.append(to: stream, expectedVersion: 0, events: [sampleEvent()])
                        return outcome == nil ? nil : stream
                    }
                }
                return try await group.reduce(into: Set<String>()) { if let stream = $1 { $0.insert(stream) } }
            }
            let written = Set(try await database.service.query("SELECT stream_id FROM events").collect().map { try $0.decode(String.self) })
            #expect(acknowledged.allSatisfy { !$0.hasPrefix("case-refused") }, "no refused stream is acknowledged: \(acknowledged.sorted())")
            #expect(acknowledged == written, "every acknowledged append is in the log, and nothing else")
        }
    }
}

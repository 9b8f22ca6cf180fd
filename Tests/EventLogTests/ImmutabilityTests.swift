import EventLog
import PostgresNIO
import TestSupport
import Testing

@Suite("Invariant 1: the event log is immutable")
struct ImmutabilityTests {
    static let changes = [
        "UPDATE events SET type = 'Altered' WHERE global_position = 1",
        "DELETE FROM events WHERE global_position = 1",
        "TRUNCATE events",
    ]

    @Test("the service role has no UPDATE, DELETE or TRUNCATE privilege", arguments: changes)
    func serviceRoleCannotChangeEvents(statement: String) async throws {
        try await withTestDatabase { database in
            _ = try await database.appender().append(to: "case-1", expectedVersion: 0, events: [sampleEvent()])
            let error = await #expect(throws: PSQLError.self) {
                try await database.service.query(PostgresQuery(unsafeSQL: statement))
            }
            #expect(error?.serverInfo?[.sqlState] == "42501", "expected permission denied (42501) for '\(statement)', got \(String(describing: error))")
            #expect(try await database.count("SELECT count(*) FROM events WHERE type = 'TestEventRecorded'") == 1)
        }
    }

    @Test("the trigger refuses UPDATE, DELETE and TRUNCATE even for the tables' owner", arguments: changes)
    func triggerRefusesChangesByTheOwner(statement: String) async throws {
        try await withTestDatabase { database in
            _ = try await database.appender().append(to: "case-1", expectedVersion: 0, events: [sampleEvent()])
            let error = await #expect(throws: PSQLError.self) {
                try await database.owner.query(PostgresQuery(unsafeSQL: statement))
            }
            let message = error?.serverInfo?[.message] ?? ""
            #expect(message.contains("immutable"), "expected the immutability trigger to refuse '\(statement)', got: \(message)")
            #expect(try await database.count("SELECT count(*) FROM events WHERE type = 'TestEventRecorded'") == 1)
        }
    }
}

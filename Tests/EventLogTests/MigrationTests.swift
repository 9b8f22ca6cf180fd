import EventLog
import Foundation
import Logging
import TestSupport
import Testing

@Suite("Migrations: applied once, in order, all or nothing")
struct MigrationTests {
    static let logger = Logger(label: "test")

    /// A copy of schema/ plus `extra` files, in a temporary directory.
    static func schemaDirectory(adding extra: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-schema-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = TestCluster.repositoryRoot + "/schema"
        for file in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: directory + "/" + file)
        }
        for (name, sql) in extra {
            try Data(sql.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        return directory
    }

    /// The number the next migration file would take, and its three-digit prefix.
    static func next(_ offset: Int = 1) throws -> (number: Int, prefix: String) {
        let number = try Migrator(directory: TestCluster.repositoryRoot + "/schema").latestVersion + offset
        return (number, String(format: "%03d", number))
    }

    @Test func migratingTwiceAppliesNothingTheSecondTime() async throws {
        try await withTestDatabase { database in
            let migrator = try Migrator(directory: TestCluster.repositoryRoot + "/schema")
            #expect(try await migrator.migrate(database.owner, logger: Self.logger).isEmpty)
            #expect(try await Migrator.appliedVersions(database.owner, logger: Self.logger).count == migrator.latestVersion)
        }
    }

    @Test func aFailingMigrationNamesFileAndLineAndLeavesNothing() async throws {
        try await withTestDatabase { database in
            let next = try Self.next()
            let directory = try Self.schemaDirectory(adding: ["\(next.prefix)_broken.sql": """
                -- a table, then a mistake
                CREATE TABLE half_done (id integer);

                CREATE TABLE broken (id integr);
                """])
            let migrator = try Migrator(directory: directory)
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate(database.owner, logger: Self.logger) }
            #expect(error?.description.contains("\(next.prefix)_broken.sql, statement on line 4") == true, "got: \(String(describing: error))")
            #expect(try await database.count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'") == 0)
            #expect(try await database.count("SELECT count(*) FROM schema_migrations WHERE version = \(next.number)") == 0)
        }
    }

    @Test func aChangedAppliedMigrationIsRefused() async throws {
        try await withTestDatabase { database in
            let directory = try Self.schemaDirectory(adding: [:])
            let first = directory + "/001_event_log.sql"
            try Data((try String(contentsOfFile: first, encoding: .utf8) + "\n-- edited\n").utf8).write(to: URL(fileURLWithPath: first))
            await #expect(throws: MigrationError.changedAfterApply(file: "001_event_log.sql")) {
                try await Migrator(directory: directory).migrate(database.owner, logger: Self.logger)
            }
        }
    }

    @Test func badFileNamesAndNumberingAreRefused() throws {
        let skipped = try Self.next(2)
        let gap = try Self.schemaDirectory(adding: ["\(skipped.prefix)_later.sql": "SELECT 1;"])
        #expect(throws: MigrationError.badNumbering(file: "\(skipped.prefix)_later.sql", expected: skipped.number - 1)) { try Migrator(directory: gap) }
        let badName = try Self.schemaDirectory(adding: ["second.sql": "SELECT 1;"])
        #expect(throws: MigrationError.self) { try Migrator(directory: badName) }
        #expect(throws: MigrationError.unreadableDirectory("/nonexistent/schema")) { try Migrator(directory: "/nonexistent/schema") }
    }
}

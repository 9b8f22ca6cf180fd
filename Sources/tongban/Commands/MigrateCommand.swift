import ArgumentParser
import EventLog
import Logging

/// `tongban migrate`: brings a node's database to the newest schema.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema/ migrations the database lacks (run as the tables' owner)."
    )

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var schema: SchemaOptions

    func run() async throws {
        let migrator = try schema.migrator()
        let url = try database.resolved()
        let applied = try await withRunningClient(url) { client in
            try await migrator.migrate(client, logger: Logger(label: "tongban.migrate"))
        }
        if applied.isEmpty {
            print("database is current: \(migrator.latestVersion) migration(s), nothing to apply")
        } else {
            for name in applied { print("applied \(name)") }
        }
    }
}

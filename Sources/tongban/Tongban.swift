import ArgumentParser
import EventLog
import Foundation
import PostgresNIO

/// The one executable of a tongban node.
@main
struct Tongban: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongban",
        abstract: "Interregional legal-aid case transfer: one event log shared by the cities' nodes.",
        subcommands: [
            DevCommand.self,
            MigrateCommand.self,
            VerifyCommand.self,
            CheckpointCommand.self,
            KeysCommand.self,
            PostgresCommand.self,
            ServeCommand.self,
            ReplayCommand.self,
            ProjectionsCommand.self,
            SyncCommand.self,
            ConformanceCommand.self,
            TokenCommand.self,
            AuditCommand.self,
            EraseCommand.self,
            ConfigCommand.self,
            BenchCommand.self,
        ]
    )

    /// Runs the command; PostgreSQL errors are reported by their server message rather than
    /// PostgresNIO's deliberately generic text.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PSQLError {
            FileHandle.standardError.write(Data("Error: PostgreSQL: \(describePostgresError(error))\n".utf8))
            Foundation.exit(1)
        } catch let error as PostgresTransactionError {
            FileHandle.standardError.write(Data("Error: PostgreSQL: \(describePostgresError(error))\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

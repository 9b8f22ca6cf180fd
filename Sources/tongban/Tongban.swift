import ArgumentParser

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
            KeysCommand.self,
            PostgresCommand.self,
            BenchCommand.self,
        ]
    )
}

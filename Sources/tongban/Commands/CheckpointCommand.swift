import ArgumentParser
import EventLog
import Federation
import Foundation

/// `tongban checkpoint export`: the newest cosigned checkpoint of every origin this node
/// holds, in the stable text form an operator publishes or hands to an auditor (who checks
/// a database against it with `tongban verify --checkpoints`).
struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Signed checkpoints of the origin chains, with their cosignatures.",
        subcommands: [Export.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the newest cosigned checkpoint of every origin this node holds (text form: tongban checkpoints v1)."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let checkpoints = try await withRunningClient(try database.resolved()) { client in
                try await CheckpointStore.newestCosigned(client: client)
            }
            print(CheckpointText.format(checkpoints), terminator: "")
        }
    }
}

import ArgumentParser
import EventLog
import Federation
import Foundation

/// `tongban verify`: proves that nothing in the node's log was altered.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every origin chain, hash and signature of the node's log against the federation's keys."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The federation file (its public keys).", valueName: "file"))
    var federation: String

    func run() async throws {
        let file = try FederationFile.load(path: federation)
        let url = try database.resolved()
        var progress = ProgressLine()
        let report = try await withRunningClient(url) { client in
            try await ChainVerifier(client: client, keyring: file.keyring).verify { checked, total in
                progress.update("verified \(checked)/\(total) events")
            }
        }
        progress.finish()
        for (origin, summary) in report.origins.sorted(by: { $0.key < $1.key }) {
            print("origin \(origin): \(summary.events) events, head seq \(summary.headSeq), head hash \(summary.headHash), quarantined \(summary.quarantined)")
        }
        if let missing = report.firstMissingPosition {
            print("BROKEN: global position \(missing) is missing (an event was deleted)")
        }
        for problem in report.problems {
            print("BROKEN: \(problem)")
        }
        guard report.isIntact else { throw ExitCode(2) }
        print("OK: \(report.eventsChecked) events, \(report.origins.count) origin chain(s) intact")
    }
}

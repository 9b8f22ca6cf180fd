import ArgumentParser
import EventLog
import Federation
import Foundation

/// `tongban verify`: proves that nothing in the node's log was altered.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every origin chain, hash and signature of the node's log against the federation's keys, and the chains against the checkpoints seen."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The federation file (its public keys).", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("Checkpoints exported elsewhere (tongban checkpoint export) that this database must hold in full.", valueName: "file"))
    var checkpoints: String?

    func run() async throws {
        let file = try FederationFile.load(path: federation)
        let external = try checkpoints.map(Self.readCheckpoints) ?? []
        let url = try database.resolved()
        var progress = ProgressLine()
        let (report, witnessing) = try await withRunningClient(url) { client in
            let chains = try await ChainVerifier(client: client, keyring: file.keyring).verify { checked, total in
                progress.update("verified \(checked)/\(total) events")
            }
            return (chains, try await CheckpointAudit(client: client, keyring: file.keyring).audit(external: external))
        }
        progress.finish()
        for (origin, summary) in report.origins.sorted(by: { $0.key < $1.key }) {
            print("origin \(origin): \(summary.events) events, head seq \(summary.headSeq), head hash \(summary.headHash), quarantined \(summary.quarantined)")
        }
        for (origin, summary) in report.origins.sorted(by: { $0.key < $1.key }) where summary.compromisedUnquarantined > 0 {
            print("WARNING: origin \(origin): \(summary.compromisedUnquarantined) event(s) signed by a key the federation file marks compromised "
                  + "were imported before the marking and are not quarantined here")
        }
        if let missing = report.firstMissingPosition {
            print("BROKEN: global position \(missing) is missing (an event was deleted)")
        }
        for problem in report.problems {
            print("BROKEN: \(problem)")
        }
        for (origin, witnessed) in witnessing.witnessed.sorted(by: { $0.key < $1.key }) {
            print("checkpoint \(origin): seq \(witnessed.seq), cosigned by \(witnessed.cosigners) other node(s)")
        }
        for finding in witnessing.findings {
            print("BROKEN: \(finding)")
        }
        guard report.isIntact, witnessing.isIntact else { throw ExitCode(2) }
        print("OK: \(report.eventsChecked) events, \(report.origins.count) origin chain(s) intact, none shorter than its checkpoints, no equivocation")
    }

    /// The checkpoints of `path`; an unreadable or malformed file is named with the line.
    static func readCheckpoints(_ path: String) throws -> [SignedCheckpoint] {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= 64 << 20 else { throw ValidationError("--checkpoints \(path): \(size) bytes, more than a checkpoint file holds (64 MiB)") }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("--checkpoints \(path): cannot read it (\(error.localizedDescription))")
        }
        do { return try CheckpointText.parse(text) } catch {
            throw ValidationError("--checkpoints \(path): \(error)")
        }
    }
}

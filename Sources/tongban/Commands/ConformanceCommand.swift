import ArgumentParser
import Federation
import Foundation

/// `tongban conformance`: the sync contract driven against a peer, signing as a member of
/// the federation; one line per check and a summary, exit status 1 when any check fails.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check that a peer node keeps the sync contract: the acceptance a new city's node passes before it joins.",
        discussion: """
            Signs as --node (a node of the federation file whose private key is --key) and drives \
            POST /v1/sync/pull, /v1/sync/notify and GET /v1/sync/status at --peer: signed requests \
            required and replay refused, version-vector semantics, bounded pages in origin order, \
            relaying of third origins, events and checkpoints that verify. Prints \
            'PASS|FAIL <check>: <reason>' per check and 'conformance: N of M checks passed'.
            """
    )

    @Option(help: ArgumentHelp("The node under test, as the federation file lists it, e.g. http://127.0.0.1:8401.", valueName: "url"))
    var peer: String

    @OptionGroup var identity: NodeIdentityOptions

    @Option(help: ArgumentHelp("The federation's CA bundle (PEM): the peer is reached over https and verified against it alone.", valueName: "file"))
    var tlsCa: String?

    func run() async throws {
        let member = try identity.resolved()
        if member.signingKey.publicKeyBase64 != member.entry.publicKey {
            FileHandle.standardError.write(Data("note: --key is not \(member.entry.id)'s key in the federation file: the peer accepts it only if \(member.entry.id)'s chain changed to it\n".utf8))
        }
        let suite: ConformanceSuite
        do {
            suite = try ConformanceSuite(federation: member.federation, key: member.signingKey, peerURL: peer,
                                         tls: try tlsCa.map(TLSOptions.authority(at:)))
        } catch let error as ConformanceSetupError {
            throw ValidationError(error.description)
        }
        let report = await suite.run()
        for line in report.lines { print(line) }
        if !report.passed { throw ExitCode(1) }
    }
}

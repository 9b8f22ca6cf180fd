import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import Logging
import PostgresNIO

/// `tongban sync --once`: pulls what this node lacks from every peer, once, and reports.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull the events this node lacks from its peers (the sync worker of serve does this continuously)."
    )

    @Flag(help: "Pull once from every peer and exit (the only mode: serve runs the continuous worker).")
    var once = false

    @OptionGroup var identity: NodeIdentityOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var tls: TLSOptions

    func run() async throws {
        guard once else { throw ValidationError("pass --once; tongban serve runs the continuous sync worker") }
        let node = try identity.resolved()
        let (file, signingKey) = (node.federation, node.signingKey)
        let transport = try tls.resolved()
        if let problem = TransportPolicy.schemeProblem(federation: file, path: identity.federation, https: transport != nil) {
            throw ValidationError(problem)
        }
        try await node.requireCurrentKey(in: try database.resolved(), key: identity.key, federation: identity.federation)
        var logger = Logger(label: "tongban.sync")
        logger.logLevel = .warning
        try await withRunningClient(try database.resolved(), logger: logger) { client in
            let appender = EventAppender(client: client, signingKey: signingKey, keyring: file.keyring, writerRules: CaseStreamWriters(),
                                         valueRules: file.valueRules, logger: logger)
            let reader = EventReader(client: client, logger: logger)
            let worker = SyncWorker(federation: file, key: signingKey, tls: transport, appender: appender, reader: reader,
                                    notifier: LogNotifier(client: client, logger: logger),
                                    checkpoints: CheckpointStore(client: client, key: signingKey, keyring: appender, logger: logger), logger: logger)
            let imported = await worker.syncOnce()
            for peer in await worker.peerStatus {
                print("peer \(peer.node) \(peer.url): \(peer.lastError.map { "FAILED: \($0)" } ?? "ok, imported \(peer.imported), lag \(peer.lagEvents) event(s)")")
            }
            let vector = try await reader.versionVector()
            print("imported \(imported) event(s); vector \(vector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            if await worker.peerStatus.contains(where: { $0.lastError != nil }) { throw ExitCode(1) }
        }
    }
}

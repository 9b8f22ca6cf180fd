import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import Logging
import PostgresNIO

/// `tongban keys rotate`: the operator's part of changing a node's event key. Writes a new
/// key, then a `NodeKeyChanged` event in the node's own chain, signed by the key it
/// replaces, so that every node and `tongban verify` follow the chain from the old key to
/// the new one; the node is then started with the new key.
struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Change a node's event key: a new key file and a key-change event in the node's chain, signed by the old key.",
        discussion: """
            Stop the node first (one writer of its chain at a time). Afterwards start it with --key <out>; \
            keep nodes[].publicKey in the federation file (the chain's first key: every node follows the \
            chain from it) and put the printed encryptionKey in the file so that peers seal key grants to it.
            """
    )

    @OptionGroup var identity: NodeIdentityOptions

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Where to write the new private key (refuses to overwrite).", valueName: "file"))
    var out: String

    func run() async throws {
        let node = try identity.resolved()
        let url = try database.resolved()
        try await node.requireCurrentKey(in: url, key: identity.key, federation: identity.federation)
        let newKey = NodeSigningKey.generate(for: node.entry.id)
        try newKey.write(to: out)
        let logger = Logger(label: "tongban.keys")
        let outcome = try await withRunningClient(url, logger: logger) { client in
            let appender = EventAppender(client: client, signingKey: node.signingKey, keyring: node.federation.keyring,
                                         writerRules: CaseStreamWriters(), valueRules: node.federation.valueRules, logger: logger)
            let stream = NodeKeyChange.stream(of: node.entry.id)
            let version = try await EventReader(client: client, logger: logger).streamVersion(stream)
            do {
                return try await appender.append(to: stream, expectedVersion: version, events: [NodeKeyChange.event(newKey: newKey.publicKey)])
            } catch {
                throw ValidationError("the key change was not written (\(error)); \(out) holds a key nothing uses: delete it before trying again")
            }
        }
        let seq = outcome.events.last?.envelope.originSeq ?? 0
        print("key change written: \(node.entry.id) seq \(seq), signed by the old key; from seq \(seq + 1) on, \(out) signs")
        print("new private key: \(out) (mode 0600), public key \(out).pub")
        print("\"publicKey\" stays \(node.entry.publicKey ?? "?") in the federation file (the chain's first key)")
        print("\"encryptionKey\": \"\(NodeEncryptionKey(derivedFrom: newKey).publicKeyBase64)\"   (replace it in the federation file on every node)")
        print("now start the node with --key \(out)")
    }
}

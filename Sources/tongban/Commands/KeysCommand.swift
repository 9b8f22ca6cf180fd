import ArgumentParser
import CaseDomain
import EventLog
import Federation

/// `tongban keys`: a node's signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage a node's Ed25519 signing key.",
        subcommands: [Generate.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: the private key (mode 0600) and <file>.pub; prints the public key for the federation file."
        )

        @Option(help: "The node the key is for, e.g. rizhao.")
        var node: String

        @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file"))
        var out: String

        func run() async throws {
            guard let nodeID = NodeID(rawValue: node) else {
                throw ValidationError("--node '\(node)' is not a node id (lowercase letters, digits, '-')")
            }
            let key = NodeSigningKey.generate(for: nodeID)
            try key.write(to: out)
            print("private key: \(out) (mode 0600)")
            print("public key:  \(out).pub")
            print("\"publicKey\": \"\(key.publicKeyBase64)\"")
            print("\"encryptionKey\": \"\(NodeEncryptionKey(derivedFrom: key).publicKeyBase64)\"")
        }
    }
}

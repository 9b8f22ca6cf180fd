import ArgumentParser
import CaseDomain
import EventLog
import Federation
import NodeServer

/// `tongban keys`: a node's keys, each with one purpose.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage a node's Ed25519 keys: the event key and the staff-token key.",
        subcommands: [Generate.self, KeysRotateCommand.self]
    )

    /// What a key signs: each key signs one kind of thing only.
    enum Purpose: String, ExpressibleByArgument, CaseIterable {
        /// The node's events and sync requests (its public half is in the federation file).
        case event
        /// The node's staff tokens (known to this node alone).
        case token
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: the private key (mode 0600) and <file>.pub.",
            discussion: """
                --purpose event (the default) writes the node's event key and prints its public key and encryption \
                key for the federation file; --purpose token writes the node's staff-token key (serve --token-key, \
                token issue --token-key), which signs staff tokens and nothing else and never goes into the federation file.
                """
        )

        @Option(help: "The node the key is for, e.g. rizhao.")
        var node: String

        @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file"))
        var out: String

        @Option(help: "event (signs the node's events and sync requests) or token (signs its staff tokens).")
        var purpose: Purpose = .event

        func run() async throws {
            guard let nodeID = NodeID(rawValue: node) else {
                throw ValidationError("--node '\(node)' is not a node id (lowercase letters, digits, '-')")
            }
            switch purpose {
            case .event:
                let key = NodeSigningKey.generate(for: nodeID)
                try key.write(to: out)
                print("private key: \(out) (mode 0600)")
                print("public key:  \(out).pub")
                print("\"publicKey\": \"\(key.publicKeyBase64)\"")
                print("\"encryptionKey\": \"\(NodeEncryptionKey(derivedFrom: key).publicKeyBase64)\"")
            case .token:
                let key = StaffTokenKey.generate(for: nodeID)
                try key.write(to: out)
                print("token key:   \(out) (mode 0600; for serve --token-key and token issue --token-key)")
                print("public key:  \(out).pub")
                print("kid:         \(key.kid)")
            }
        }
    }
}

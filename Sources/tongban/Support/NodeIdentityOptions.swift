import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Logging

/// `--federation`, `--node` and `--key`: which node of which federation this process is.
struct NodeIdentityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The federation file, the same on every node.", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("This node's id in the federation file, e.g. qingdao.", valueName: "id"))
    var node: String

    @Option(help: ArgumentHelp("This node's private key (tongban keys generate).", valueName: "file"))
    var key: String

    /// A node of a federation, holding the private key whose public half the file names
    /// or (``keyFollowsChain``) one its chain may have changed to since.
    struct Identity {
        let federation: FederationFile
        let entry: FederationFile.Node
        let signingKey: NodeSigningKey
        /// The key is not the one the federation file names: only the node's log can say
        /// whether its chain changed to it (``requireCurrentKey(in:)``).
        var keyFollowsChain = false

        /// Refuses a key that is not the current key of the node's chain in the log at
        /// `database`, naming the options.
        /// The federation file's key is refused too once the chain changed away from it; when
        /// the log cannot be read, only a key other than the file's is refused (the appender
        /// refuses to sign with a retired key in any case).
        func requireCurrentKey(in database: DatabaseURL, key path: String, federation source: String) async throws {
            let keys: OriginKeyring
            do {
                keys = try await withRunningClient(database, timeout: .seconds(5)) { client in
                    try await federation.keyring.followingKeyChanges(in: client, logger: Logger(label: "tongban.keys"))
                }
            } catch {
                guard keyFollowsChain else { return }
                throw ValidationError("--key \(path) is not \(entry.id)'s key in \(source), and the node's log, which would name a key "
                                      + "its chain changed to, cannot be read: \(error)")
            }
            guard keys[entry.id]?.rawRepresentation == signingKey.publicKey.rawRepresentation else {
                throw ValidationError(keyFollowsChain
                    ? "--key \(path) is not \(entry.id)'s key: neither nodes[\(entry.id)].publicKey in \(source) nor the key the node's chain changed to (tongban keys rotate)"
                    : "--key \(path) is the key \(entry.id)'s chain changed away from (tongban keys rotate): start the node with the key the change names")
            }
        }
    }

    /// The federation file, this node's entry in it and its key; each failure says which
    /// option and what is wrong.
    func resolved() throws -> Identity {
        try Self.identity(node: node, key: key, in: FederationFile.load(path: federation), loadedFrom: federation)
    }

    /// Node `node` of `file` (read from `path`), with the private key at `key`.
    static func identity(node: String, key: String, in file: FederationFile, loadedFrom federation: String) throws -> Identity {
        guard let nodeID = NodeID(rawValue: node), let entry = file.nodes.first(where: { $0.id == nodeID }) else {
            throw ValidationError("--node \(node): not a node of \(federation) (known: \(file.nodes.map(\.id.rawValue).joined(separator: ", ")))")
        }
        let signingKey = try NodeSigningKey.read(node: nodeID, from: key)
        // A key other than the file's may be one the node's chain changed to: its log decides.
        return Identity(federation: file, entry: entry, signingKey: signingKey, keyFollowsChain: signingKey.publicKeyBase64 != entry.publicKey)
    }
}

import ArgumentParser
import CaseDomain
import EventLog
import Federation

/// `--federation`, `--node` and `--key`: which node of which federation this process is.
struct NodeIdentityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The federation file, the same on every node.", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("This node's id in the federation file, e.g. qingdao.", valueName: "id"))
    var node: String

    @Option(help: ArgumentHelp("This node's private key (tongban keys generate).", valueName: "file"))
    var key: String

    /// A node of a federation, holding the private key whose public half the file names.
    struct Identity {
        let federation: FederationFile
        let entry: FederationFile.Node
        let signingKey: NodeSigningKey
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
        guard signingKey.publicKeyBase64 == entry.publicKey else {
            throw ValidationError("--key \(key) is not \(node)'s key: its public key differs from nodes[\(node)].publicKey in \(federation)")
        }
        return Identity(federation: file, entry: entry, signingKey: signingKey)
    }
}

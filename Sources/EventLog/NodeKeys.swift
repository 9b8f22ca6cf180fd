import CaseDomain
import Crypto
import Foundation

/// A node's Ed25519 private key: what signs every event the node authors.
public struct NodeSigningKey: Sendable {
    /// The node this key belongs to.
    public let node: NodeID
    /// The private key: signs this node's events, its sync requests and its checkpoints.
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(node: NodeID, privateKey: Curve25519.Signing.PrivateKey) {
        self.node = node
        self.privateKey = privateKey
    }

    /// A fresh random key for `node`.
    public static func generate(for node: NodeID) -> NodeSigningKey {
        NodeSigningKey(node: node, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The public half, as the federation file lists it.
    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    /// The public key as base64 of its 32 raw bytes.
    public var publicKeyBase64: String { publicKey.rawRepresentation.base64EncodedString() }

    func sign(_ hash: EventHash) throws -> [UInt8] {
        Array(try privateKey.signature(for: hash.bytes))
    }

    /// Reads a key file written by ``write(to:)``: one line, base64 of the 32 private-key bytes.
    public static func read(node: NodeID, from path: String) throws(KeyFileError) -> NodeSigningKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw .unreadable(path: path, reason: error.localizedDescription) }
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw .malformed(path: path) }
        return NodeSigningKey(node: node, privateKey: key)
    }

    /// Writes the private key to `path` with mode 0600 (refusing to overwrite) and the
    /// public key beside it as `<path>.pub`.
    public func write(to path: String) throws(KeyFileError) {
        try PrivateKeyFile.write(secret: privateKey.rawRepresentation.base64EncodedString() + "\n", publicKey: publicKeyBase64, to: path)
    }
}

/// How every private key file of a node is written: mode 0600 from its creation, never
/// over an existing file, its public half beside it as `<path>.pub`.
public enum PrivateKeyFile {
    /// Writes `secret` to `path` and `publicKey` to `<path>.pub`.
    public static func write(secret: String, publicKey: String, to path: String) throws(KeyFileError) {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path) else { throw .exists(path: path) }
        guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw .unwritable(path: path)
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.write(contentsOf: Data(secret.utf8))
            try handle.close()
            try Data((publicKey + "\n").utf8).write(to: URL(fileURLWithPath: path + ".pub"))
        } catch {
            throw .unwritable(path: path)
        }
    }
}

/// The public keys of the federation's nodes: whose signatures a node accepts. Each
/// origin starts with the key the federation file names and follows the key changes of
/// its own chain (``NodeKeyChange``): from the `originSeq` after a key-change event, the
/// key it names signs.
public struct OriginKeyring: Sendable {
    private var keys: [NodeID: Curve25519.Signing.PublicKey]
    /// Key changes by origin, in ascending `fromSeq`.
    private var rotations: [NodeID: [Rotation]] = [:]
    /// Keys marked compromised (the federation file's), by origin.
    private var compromised: [NodeID: [Compromise]] = [:]

    /// A key that leaked: events it signs from `fromSeq` on are not trusted.
    struct Compromise: Sendable {
        let key: Curve25519.Signing.PublicKey
        let fromSeq: Int64
        let reason: String
    }

    /// From `fromSeq` on, `key` signs its origin's events.
    public struct Rotation: Sendable, Equatable {
        public let fromSeq: Int64
        public let key: Curve25519.Signing.PublicKey

        public static func == (lhs: Rotation, rhs: Rotation) -> Bool {
            lhs.fromSeq == rhs.fromSeq && lhs.key.rawRepresentation == rhs.key.rawRepresentation
        }
    }

    public init(_ keys: [NodeID: Curve25519.Signing.PublicKey] = [:]) {
        self.keys = keys
    }

    /// The current key of `node` (its chain's newest), or `nil` for a node outside the
    /// federation; setting it sets the key its chain starts with.
    public subscript(node: NodeID) -> Curve25519.Signing.PublicKey? {
        get { rotations[node]?.last?.key ?? keys[node] }
        set { keys[node] = newValue }
    }

    /// The key that signs `node`'s event `seq`.
    public func key(for node: NodeID, seq: Int64) -> Curve25519.Signing.PublicKey? {
        rotations[node]?.last { $0.fromSeq <= seq }?.key ?? keys[node]
    }

    /// Marks `key` of `node` compromised from `fromSeq` on, for `reason`.
    public mutating func markCompromised(_ node: NodeID, key: Curve25519.Signing.PublicKey, fromSeq: Int64, reason: String) {
        compromised[node, default: []].append(Compromise(key: key, fromSeq: fromSeq, reason: reason))
    }

    /// Why `node`'s event `seq` is not trusted: the key that signs it is marked compromised
    /// from that sequence or earlier; `nil` when it is trusted.
    public func compromise(of node: NodeID, seq: Int64) -> String? {
        guard let marks = compromised[node], let key = key(for: node, seq: seq) else { return nil }
        return marks.first { $0.fromSeq <= seq && $0.key.rawRepresentation == key.rawRepresentation }?.reason
    }

    /// The key changes `node`'s chain has made, oldest first.
    public func rotations(of node: NodeID) -> [Rotation] { rotations[node] ?? [] }

    /// From `fromSeq` on, `key` signs `node`'s events. A change at or before the last one
    /// known is ignored (the chain is followed once, in order).
    public mutating func rotate(_ node: NodeID, to key: Curve25519.Signing.PublicKey, fromSeq: Int64) {
        guard keys[node] != nil, fromSeq > (rotations[node]?.last?.fromSeq ?? 0) else { return }
        rotations[node, default: []].append(Rotation(fromSeq: fromSeq, key: key))
    }
}

/// Why a key file cannot be used.
public enum KeyFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String)
    case exists(path: String)
    case unwritable(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read key file \(path): \(reason)"
        case .malformed(let path): "key file \(path) does not hold a base64 Ed25519 private key (32 bytes)"
        case .exists(let path): "key file \(path) already exists; refusing to overwrite it"
        case .unwritable(let path): "cannot write key file \(path)"
        }
    }
}

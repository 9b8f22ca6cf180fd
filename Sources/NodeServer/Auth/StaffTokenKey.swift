import CaseDomain
import Casework
import Crypto
import EventLog
import Foundation

/// A node's staff-token key: an Ed25519 key that signs the staff tokens the node issues and
/// nothing else. It is not the node's event key (``EventLog/NodeSigningKey``), which signs
/// the log and sync requests: a token signed with any other key, the event key included,
/// is refused.
///
/// Its file names its purpose and node (``write(to:)``), so an event key file given where
/// a token key belongs — or the other way round — is refused when read.
public struct StaffTokenKey: Sendable {
    /// The node whose tokens this key signs.
    public let node: NodeID
    /// The private key: signs this node's staff tokens, and nothing else.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// The first line of a token key file, followed by the node's id.
    static let fileHeader = "tongban staff-token key for"

    public init(node: NodeID, privateKey: Curve25519.Signing.PrivateKey) {
        self.node = node
        self.privateKey = privateKey
    }

    /// A fresh random key for `node`.
    public static func generate(for node: NodeID) -> StaffTokenKey {
        StaffTokenKey(node: node, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The public half as base64 of its 32 raw bytes.
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    /// The key's id, the `kid` of every token it signs: `tok-` and the first 16 bytes of
    /// the SHA-256 of the public key, in hex. A token naming another id is refused unread.
    public var kid: String { Self.kid(ofPublicKey: privateKey.publicKey.rawRepresentation) }

    /// The `kid` a token key with this public key (32 raw bytes) has.
    static func kid(ofPublicKey raw: Data) -> String {
        "tok-" + SHA256.hash(data: raw).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether this key's public half is `publicKeyBase64` (an event key of the federation,
    /// say: a node refuses to start with a token key that is also an event key).
    public func hasPublicKey(_ publicKeyBase64: String) -> Bool {
        self.publicKeyBase64 == publicKeyBase64
    }

    /// Reads a file written by ``write(to:)``: the header line naming the node, then base64
    /// of the 32 private-key bytes.
    public static func read(from path: String) throws(TokenKeyFileError) -> StaffTokenKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw .unreadable(path: path, reason: error.localizedDescription) }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 2, lines[0].hasPrefix(fileHeader + " ") else { throw .notATokenKey(path: path) }
        guard let node = NodeID(rawValue: String(lines[0].dropFirst(fileHeader.count + 1))) else { throw .malformed(path: path) }
        guard let raw = Data(base64Encoded: lines[1]), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw .malformed(path: path)
        }
        return StaffTokenKey(node: node, privateKey: key)
    }

    /// Writes the key to `path` with mode 0600 (refusing to overwrite) and its public half
    /// beside it as `<path>.pub`.
    public func write(to path: String) throws(TokenKeyFileError) {
        do {
            try PrivateKeyFile.write(secret: "\(Self.fileHeader) \(node)\n\(privateKey.rawRepresentation.base64EncodedString())\n",
                                     publicKey: publicKeyBase64, to: path)
        } catch {
            if case .exists = error { throw .exists(path: path) }
            throw .unwritable(path: path)
        }
    }
}

/// Why a staff-token key file cannot be used.
public enum TokenKeyFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notATokenKey(path: String)
    case malformed(path: String)
    case exists(path: String)
    case unwritable(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read token key file \(path): \(reason)"
        case .notATokenKey(let path):
            "\(path) is not a staff-token key file (tongban keys generate --purpose token writes one; an event key never signs tokens)"
        case .malformed(let path): "token key file \(path) does not hold a node id and a base64 Ed25519 private key (32 bytes)"
        case .exists(let path): "key file \(path) already exists; refusing to overwrite it"
        case .unwritable(let path): "cannot write key file \(path)"
        }
    }
}

import CaseDomain
import Crypto
import EventLog
import Foundation

/// How one node proves to another that it sent a sync request: an Ed25519 signature with
/// its node key over the method, path, SHA-256 of the body and a timestamp, in three headers.
/// The receiver accepts it only within a time window and only once.
public enum NodeRequestSignature {
    public static let nodeHeader = "X-Tongban-Node"
    public static let timestampHeader = "X-Tongban-Timestamp"
    public static let signatureHeader = "X-Tongban-Signature"
    /// How far a request's timestamp may be from the receiver's clock.
    public static let window: Int64 = 60_000

    /// The bytes that are signed.
    static func message(method: String, path: String, body: some DataProtocol, timestamp: Int64) -> Data {
        let bodyHash = SHA256.hash(data: Data(body)).map { String(format: "%02x", $0) }.joined()
        return Data("\(method.uppercased())\n\(path)\n\(bodyHash)\n\(timestamp)".utf8)
    }

    /// The headers that sign a request from `key`'s node.
    public static func headers(method: String, path: String, body: some DataProtocol, key: NodeSigningKey, at timestamp: Int64) throws -> [(String, String)] {
        let signature = try key.privateKey.signature(for: message(method: method, path: path, body: body, timestamp: timestamp))
        return [(nodeHeader, key.node.rawValue), (timestampHeader, String(timestamp)), (signatureHeader, signature.base64EncodedString())]
    }

    /// Why a sync request was not accepted.
    public enum Refusal: Error, Hashable, CustomStringConvertible {
        case missing(String)
        case unknownNode(String)
        case stale(Int64)
        case badSignature
        case replayed

        public var description: String {
            switch self {
            case .missing(let header): "the request is not node-signed: \(header) is missing"
            case .unknownNode(let node): "node '\(node)' is not in the federation"
            case .stale(let skew): "the request's timestamp is \(skew / 1000) s from this node's clock (window \(window / 1000) s)"
            case .badSignature: "the signature does not verify against the node's public key"
            case .replayed: "this signed request was already received"
            }
        }
    }

    /// The node that signed the request, if the headers prove it.
    public static func verify(method: String, path: String, body: some DataProtocol, header: (String) -> String?,
                              keyring: OriginKeyring, now: Int64, seen: SeenSignatures) async throws(Refusal) -> NodeID {
        guard let nodeText = header(nodeHeader) else { throw .missing(nodeHeader) }
        guard let timestampText = header(timestampHeader), let timestamp = Int64(timestampText) else { throw .missing(timestampHeader) }
        guard let signatureText = header(signatureHeader), let signature = Data(base64Encoded: signatureText) else { throw .missing(signatureHeader) }
        guard let node = NodeID(rawValue: nodeText), let key = keyring[node] else { throw .unknownNode(nodeText) }
        guard abs(now - timestamp) <= window else { throw .stale(now - timestamp) }
        guard key.isValidSignature(signature, for: message(method: method, path: path, body: body, timestamp: timestamp)) else { throw .badSignature }
        guard await seen.insert(signatureText, at: now) else { throw .replayed }
        return node
    }
}

/// The signatures accepted within the window, so that none is accepted twice.
public actor SeenSignatures {
    private var seen: [String: Int64] = [:]

    public init() {}

    /// Records `signature`; `false` if it was already seen. Forgets what the window excludes.
    func insert(_ signature: String, at now: Int64) -> Bool {
        if seen.count > 10_000 || seen.values.contains(where: { now - $0 > 2 * NodeRequestSignature.window }) {
            seen = seen.filter { now - $0.value <= 2 * NodeRequestSignature.window }
        }
        return seen.updateValue(now, forKey: signature) == nil
    }
}

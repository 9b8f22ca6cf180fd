import CaseDomain
import Crypto
import EventLog
import Foundation

/// How one node proves to another that it sent a sync request: an Ed25519 signature with
/// its node key over the method, path, SHA-256 of the body, a timestamp and the receiving
/// node, in three headers. The receiver accepts it only within a time window, only once,
/// and only if it is the node named (a request captured on its way to one node cannot be
/// replayed to another).
///
/// The headers are checked (``verifyHeaders(header:keyring:now:)``) before the body is
/// read, so an unknown node or a stale request costs the receiver no body.
public enum NodeRequestSignature {
    public static let nodeHeader = "X-Tongban-Node"
    public static let timestampHeader = "X-Tongban-Timestamp"
    public static let signatureHeader = "X-Tongban-Signature"
    /// How far a request's timestamp may be from the receiver's clock, in milliseconds.
    public static let window: Int64 = 60_000
    /// Signatures remembered at most (those of the last two windows): past this, requests
    /// are refused as ``Refusal/busy`` until older ones expire.
    public static let seenCapacity = 100_000

    /// The bytes that are signed.
    static func message(method: String, path: String, body: some DataProtocol, timestamp: Int64, receiver: NodeID) -> Data {
        let bodyHash = SHA256.hash(data: Data(body)).map { String(format: "%02x", $0) }.joined()
        return Data("\(method.uppercased())\n\(path)\n\(bodyHash)\n\(timestamp)\n\(receiver.rawValue)".utf8)
    }

    /// The headers that sign a request from `key`'s node to `receiver`.
    public static func headers(method: String, path: String, body: some DataProtocol, key: NodeSigningKey, to receiver: NodeID,
                               at timestamp: Int64) throws -> [(String, String)] {
        let signature = try key.privateKey.signature(for: message(method: method, path: path, body: body, timestamp: timestamp, receiver: receiver))
        return [(nodeHeader, key.node.rawValue), (timestampHeader, String(timestamp)), (signatureHeader, signature.base64EncodedString())]
    }

    /// Why a sync request was not accepted.
    public enum Refusal: Error, Hashable, CustomStringConvertible {
        case missing(String)
        case malformed(String)
        case unknownNode(String)
        case stale(Int64)
        case badSignature
        case replayed
        case busy

        public var description: String {
            switch self {
            case .missing(let header): "the request is not node-signed: \(header) is missing"
            case .malformed(let header): "\(header) is malformed"
            case .unknownNode(let node): "node '\(node.prefix(64))' is not in this node's federation file (a node added since is known once the file is reloaded: tongban config reload)"
            case .stale(let skew): "the request's timestamp is \(skew / 1000) s from this node's clock (window \(window / 1000) s)"
            case .badSignature: "the signature does not verify against the node's public key for this receiver"
            case .replayed: "this signed request was already received"
            case .busy: "too many signed requests within the window"
            }
        }
    }

    /// What the headers of a signed request say, checked: a known node, a timestamp within
    /// the window, a signature of the right form. The body is still to be verified.
    public struct SignedHeaders: Sendable {
        public let node: NodeID
        let key: Curve25519.Signing.PublicKey
        let timestamp: Int64
        let signature: Data
    }

    /// Checks the headers alone (no body needed): node, timestamp window, signature form.
    public static func verifyHeaders(header: (String) -> String?, keyring: OriginKeyring, now: Timestamp) throws(Refusal) -> SignedHeaders {
        guard let nodeText = header(nodeHeader) else { throw .missing(nodeHeader) }
        guard let timestampText = header(timestampHeader) else { throw .missing(timestampHeader) }
        guard let signatureText = header(signatureHeader) else { throw .missing(signatureHeader) }
        guard let node = NodeID(rawValue: nodeText), let key = keyring[node] else { throw .unknownNode(nodeText) }
        // Both instants lie within Timestamp's bounded range, so their difference cannot overflow.
        guard timestampText.utf8.count <= 20, let millis = Int64(timestampText), let timestamp = Timestamp(exactly: millis) else {
            throw .malformed(timestampHeader)
        }
        let skew = now.milliseconds(since: timestamp)
        guard skew.magnitude <= window else { throw .stale(skew) }
        guard signatureText.utf8.count <= 100, let signature = Data(base64Encoded: signatureText), signature.count == 64 else {
            throw .malformed(signatureHeader)
        }
        return SignedHeaders(node: node, key: key, timestamp: millis, signature: signature)
    }

    /// Checks the signature over the request as received by `receiver`, then that it was
    /// not seen before; the node that signed it.
    public static func verify(_ headers: SignedHeaders, method: String, path: String, body: some DataProtocol, receiver: NodeID,
                              now: Timestamp, seen: SeenSignatures) async throws(Refusal) -> NodeID {
        let signed = message(method: method, path: path, body: body, timestamp: headers.timestamp, receiver: receiver)
        guard headers.key.isValidSignature(headers.signature, for: signed) else { throw .badSignature }
        // Keyed by the signature's bytes, not its text: base64 spells the same bytes more than one way.
        try await seen.insert(headers.signature.base64EncodedString(), at: now.millisecondsSinceEpoch)
        return headers.node
    }
}

/// The signatures accepted within the window, so that none is accepted twice; at most
/// ``NodeRequestSignature/seenCapacity`` of them.
public actor SeenSignatures {
    private var seen: [String: Int64] = [:]
    private var oldest: Int64 = .max

    public init() {}

    /// Records `signature`; throws if it was already seen or the memory is full. Forgets
    /// what the window excludes.
    func insert(_ signature: String, at now: Int64) throws(NodeRequestSignature.Refusal) {
        let horizon = 2 * NodeRequestSignature.window
        if (oldest != .max && now - oldest > horizon) || seen.count >= NodeRequestSignature.seenCapacity {
            seen = seen.filter { now - $0.value <= horizon }
            oldest = seen.values.min() ?? .max
        }
        guard seen.count < NodeRequestSignature.seenCapacity else { throw .busy }
        guard seen.updateValue(now, forKey: signature) == nil else { throw .replayed }
        oldest = min(oldest, now)
    }
}

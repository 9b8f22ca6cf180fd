import CaseDomain
import Crypto
import Foundation

/// An event as its origin signed it: envelope, the exact bytes, their hash and the signature.
///
/// This is what travels between nodes and what the events table stores.
public struct SignedEvent: Hashable, Sendable {
    /// The decoded fields of ``canonicalBytes``.
    public let envelope: EventEnvelope
    /// The canonical envelope bytes, as hashed and signed.
    public let canonicalBytes: [UInt8]
    /// SHA-256 of ``canonicalBytes``.
    public let hash: EventHash
    /// The origin's Ed25519 signature over ``hash``'s bytes (64 bytes).
    public let signature: [UInt8]

    /// Signs a freshly authored envelope with the node's key.
    public init(signing envelope: EventEnvelope, with key: NodeSigningKey) throws {
        guard envelope.originNode == key.node else {
            throw SigningError.wrongNode(envelope: envelope.originNode, key: key.node)
        }
        self.envelope = envelope
        self.canonicalBytes = try envelope.canonicalBytes()
        self.hash = EventHash(of: canonicalBytes)
        self.signature = try key.sign(hash)
    }

    /// Assembles an event whose parts were made by the appender (no checks).
    init(envelope: EventEnvelope, canonicalBytes: [UInt8], hash: EventHash, signature: [UInt8]) {
        self.envelope = envelope
        self.canonicalBytes = canonicalBytes
        self.hash = hash
        self.signature = signature
    }

    /// An event received from a peer or read from storage; nothing is checked here
    /// beyond the envelope being well-formed — see ``verify(with:)``.
    public init(canonicalBytes: [UInt8], hash: EventHash, signature: [UInt8]) throws(EnvelopeError) {
        self.envelope = try EventEnvelope(canonicalBytes: canonicalBytes)
        self.canonicalBytes = canonicalBytes
        self.hash = hash
        self.signature = signature
    }

    /// An event read back from this node's own log, whose bytes were checked when they were
    /// stored: parsed without re-spelling them (``ChainVerifier`` still checks everything).
    init(storedBytes: [UInt8], hash: EventHash, signature: [UInt8]) throws(EnvelopeError) {
        self.envelope = try EventEnvelope(bytes: storedBytes, requireCanonical: false)
        self.canonicalBytes = storedBytes
        self.hash = hash
        self.signature = signature
    }

    /// Checks that the hash is the SHA-256 of the stored bytes and that the origin's key for
    /// this sequence signed it. Chain continuity is the caller's: it needs the previous event.
    public func verify(with keyring: OriginKeyring) throws(IntegrityError) {
        guard EventHash(of: canonicalBytes) == hash else {
            throw .hashMismatch(computed: EventHash(of: canonicalBytes), stored: hash)
        }
        guard let key = keyring.key(for: envelope.originNode, seq: envelope.originSeq) else { throw .unknownOrigin(envelope.originNode) }
        guard key.isValidSignature(signature, for: hash.bytes) else { throw .badSignature }
    }
}

/// Why an event fails its integrity check.
public enum IntegrityError: Error, Hashable, CustomStringConvertible {
    case hashMismatch(computed: EventHash, stored: EventHash)
    case unknownOrigin(NodeID)
    case badSignature
    case brokenChain(expectedPrevHash: EventHash, found: EventHash)
    case sequenceGap(expected: Int64, found: Int64)
    case columnMismatch(String)
    case malformedEnvelope(EnvelopeError)

    public var description: String {
        switch self {
        case .hashMismatch(let computed, let stored): "hash mismatch: the stored envelope hashes to \(computed), the event says \(stored)"
        case .unknownOrigin(let node): "unknown origin '\(node)': no public key in the federation"
        case .badSignature: "signature does not verify against the origin's public key"
        case .brokenChain(let expected, let found): "broken chain: prevHash is \(found), the origin's previous event has hash \(expected)"
        case .sequenceGap(let expected, let found): "origin sequence gap: expected seq \(expected), found \(found)"
        case .columnMismatch(let column): "column '\(column)' differs from the signed envelope"
        case .malformedEnvelope(let error): "\(error)"
        }
    }
}

/// Errors of signing an event.
public enum SigningError: Error, CustomStringConvertible {
    case wrongNode(envelope: NodeID, key: NodeID)

    public var description: String {
        switch self {
        case .wrongNode(let envelope, let key): "envelope of origin '\(envelope)' cannot be signed with the key of node '\(key)'"
        }
    }
}

import CaseDomain
import Crypto
import EventLog
import Foundation

/// An origin's signed statement of its chain's head: "my event `seq` has hash `hash`", with
/// the time it signed it, and the cosignatures of the nodes that checked it against the
/// events they hold. A chain shorter than a checkpoint lost events; two checkpoints of one
/// origin and sequence with different hashes prove that origin told two histories.
public struct SignedCheckpoint: Sendable, Hashable {
    public let origin: NodeID
    public let seq: Int64
    public let hash: EventHash
    public let signedAt: Timestamp
    /// Ed25519 by `origin`'s key over ``statement``.
    public let signature: [UInt8]
    /// Witnesses' Ed25519 signatures over ``cosignatureStatement(by:)``, by witness.
    public var cosignatures: [NodeID: [UInt8]]

    /// What the origin signs: the purpose, origin, sequence, hash and time, one per line.
    public var statement: [UInt8] {
        Array("tongban checkpoint v1\n\(origin)\n\(seq)\n\(hash.hex)\n\(signedAt)\n".utf8)
    }

    /// What `witness` signs when it countersigns: its id before the origin's statement.
    public func cosignatureStatement(by witness: NodeID) -> [UInt8] {
        Array("tongban cosignature v1\n\(witness)\n".utf8) + statement
    }

    /// Checkpoint `seq`/`hash` of `key`'s own chain, signed now.
    public static func sign(seq: Int64, hash: EventHash, at signedAt: Timestamp, with key: NodeSigningKey) throws -> SignedCheckpoint {
        let unsigned = SignedCheckpoint(origin: key.node, seq: seq, hash: hash, signedAt: signedAt, signature: [], cosignatures: [:])
        let signature = try key.privateKey.signature(for: unsigned.statement)
        return SignedCheckpoint(origin: key.node, seq: seq, hash: hash, signedAt: signedAt, signature: Array(signature), cosignatures: [:])
    }

    /// This checkpoint countersigned by `key`'s node.
    public func cosigned(with key: NodeSigningKey) throws -> SignedCheckpoint {
        var cosigned = self
        cosigned.cosignatures[key.node] = Array(try key.privateKey.signature(for: cosignatureStatement(by: key.node)))
        return cosigned
    }

    /// Whether the origin's key in `keyring` made ``signature``: the key that signed event
    /// `seq` or the one after it (the checkpoint of a key change is signed by the new key),
    /// and not one the federation marks compromised there.
    public func isSigned(by keyring: OriginKeyring) -> Bool {
        let sequences = seq < Int64.max ? [seq, seq + 1] : [seq]
        return sequences.contains { at in
            guard let key = keyring.key(for: origin, seq: at), keyring.compromise(of: origin, seq: at) == nil else { return false }
            return key.isValidSignature(signature, for: statement)
        }
    }

    /// The cosignatures made by the witnesses' current keys in `keyring` (a witness outside
    /// the federation, one whose key is marked compromised, a forged or mistaken one is
    /// left out), never the origin's own.
    public func validCosignatures(in keyring: OriginKeyring) -> [NodeID: [UInt8]] {
        cosignatures.filter { witness, signature in
            guard witness != origin, let key = keyring[witness], keyring.compromise(of: witness, seq: .max) == nil else { return false }
            return key.isValidSignature(signature, for: cosignatureStatement(by: witness))
        }
    }

    /// A checkpoint as read or received; nothing is checked here (``isSigned(by:)`` does).
    public init(origin: NodeID, seq: Int64, hash: EventHash, signedAt: Timestamp, signature: [UInt8], cosignatures: [NodeID: [UInt8]]) {
        self.origin = origin
        self.seq = seq
        self.hash = hash
        self.signedAt = signedAt
        self.signature = signature
        self.cosignatures = cosignatures
    }
}

extension SyncMessages {
    /// A checkpoint as it travels with a pull answer.
    public struct WireCheckpoint: Codable, Sendable {
        public var origin: String
        public var seq: Int64
        public var hash: String
        public var signedAt: String
        public var signature: String
        public var cosignatures: [String: String]?

        public init(_ checkpoint: SignedCheckpoint) {
            origin = checkpoint.origin.rawValue
            seq = checkpoint.seq
            hash = checkpoint.hash.hex
            signedAt = checkpoint.signedAt.description
            signature = Data(checkpoint.signature).base64EncodedString()
            let cosignatures = checkpoint.cosignatures.map { ($0.key.rawValue, Data($0.value).base64EncodedString()) }
            self.cosignatures = cosignatures.isEmpty ? nil : Dictionary(uniqueKeysWithValues: cosignatures)
        }

        /// The checkpoint, every field checked (its signatures are checked by whoever keeps it).
        public func checkpoint() throws(SyncError) -> SignedCheckpoint {
            guard let origin = NodeID(rawValue: origin) else { throw .malformed("checkpoints: '\(origin.prefix(64))' is not a node id") }
            guard (1...SyncMessages.maximumSequence).contains(seq) else { throw .malformed("checkpoints.\(origin).seq: from 1 to \(SyncMessages.maximumSequence)") }
            guard let hash = EventHash(hex: hash) else { throw .malformed("checkpoints.\(origin).hash: 64 hex digits") }
            guard let signedAt = Timestamp(iso8601: signedAt) else { throw .malformed("checkpoints.\(origin).signedAt: a UTC time") }
            guard let signature = Self.signature(signature) else { throw .malformed("checkpoints.\(origin).signature: 64 bytes in base64") }
            guard (cosignatures?.count ?? 0) <= SyncMessages.maximumOrigins else {
                throw .malformed("checkpoints.\(origin).cosignatures: at most \(SyncMessages.maximumOrigins)")
            }
            var checked: [NodeID: [UInt8]] = [:]
            for (text, value) in cosignatures ?? [:] {
                guard let witness = NodeID(rawValue: text), let cosignature = Self.signature(value) else {
                    throw .malformed("checkpoints.\(origin).cosignatures.\(text.prefix(64)): a node id and 64 bytes in base64")
                }
                checked[witness] = cosignature
            }
            return SignedCheckpoint(origin: origin, seq: seq, hash: hash, signedAt: signedAt, signature: signature, cosignatures: checked)
        }

        private static func signature(_ text: String) -> [UInt8]? {
            guard text.utf8.count == 88, let bytes = Data(base64Encoded: text), bytes.count == 64 else { return nil }
            return Array(bytes)
        }
    }
}

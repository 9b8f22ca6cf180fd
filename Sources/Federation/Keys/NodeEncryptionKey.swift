import CaseDomain
import Crypto
import EventLog
import Foundation

/// A node's X25519 key pair for receiving record keys (HPKE): its public half is in the
/// federation file (`encryptionKey`). Derived from the node's key file by HKDF with a
/// label of its own, so the node keeps one secret on disk while the two keys never serve
/// each other's purpose.
public struct NodeEncryptionKey: Sendable {
    public let node: NodeID
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// The encryption key that belongs with `signingKey`.
    public init(derivedFrom signingKey: NodeSigningKey) {
        let seed = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: signingKey.privateKey.rawRepresentation),
            info: Data("tongban node encryption key".utf8), outputByteCount: 32)
        self.node = signingKey.node
        // 32 bytes are always a valid X25519 private key (clamped on use).
        self.privateKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: seed.withUnsafeBytes { Data($0) })
    }

    /// The public key as the federation file lists it: base64 of its 32 raw bytes.
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }
}

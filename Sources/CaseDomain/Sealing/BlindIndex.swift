import Crypto
import Foundation

/// A keyed blind index of a person: HMAC-SHA256 of the normalised ID number (and, for the
/// name check, of ID number and name), as 64 lowercase hex digits. Two records of one
/// person carry the same index wherever the same key made it, so nodes match them — a
/// certificate and the application relying on it, duplicate applications across cities —
/// without the number itself; without the key the index reveals nothing and cannot be
/// recomputed from a guessed number.
///
/// Where the key comes from is the node's business (``init(key:)``): the federation's
/// shared matching key, so that every node computes the same index; or, when the federation
/// has none, ``local(signingKey:)``, which matches records **within one node only**.
public struct BlindIndex: Sendable {
    private let key: SymmetricKey

    /// An index under `key` (32 bytes: the federation file's `matchingKey`).
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// An index under a key derived from the node's signing key (HKDF-SHA256, label
    /// `tongban local matching key`): for a federation file without a `matchingKey`. No other
    /// node computes the same index, so a certificate issued elsewhere is never recognised
    /// here by it: matching then works within this node only.
    public static func local(signingKey: Curve25519.Signing.PrivateKey) -> BlindIndex {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: signingKey.rawRepresentation),
                                         info: Data("tongban local matching key".utf8), outputByteCount: 32)
        return BlindIndex(key: key)
    }

    /// The index of a holder's ID number, normalised first (``normalisedIDNumber(_:)``).
    public func holder(idNumber: String) -> String {
        code(["idNumber", Self.normalisedIDNumber(idNumber)])
    }

    /// The index of a holder's ID number with their name, both normalised: what a lookup
    /// must match besides ``holder(idNumber:)``, so the ID number alone finds nothing.
    public func holderName(idNumber: String, name: String) -> String {
        code(["idNumber+name", Self.normalisedIDNumber(idNumber), Self.normalisedName(name)])
    }

    /// An ID number as indexed: surrounding whitespace trimmed, a final `x` upper-cased.
    public static func normalisedIDNumber(_ idNumber: String) -> String {
        let trimmed = idNumber.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasSuffix("x") ? trimmed.dropLast() + "X" : trimmed
    }

    /// A name as indexed: surrounding whitespace trimmed, in Unicode normal form C.
    public static func normalisedName(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
    }

    /// The MAC of the parts, each separated by a NUL (which no part may hold: the value rules).
    private func code(_ parts: [String]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(parts.joined(separator: "\u{0}").utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

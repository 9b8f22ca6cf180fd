import CaseDomain
import Crypto
import Foundation

/// A record key, or some of its field keys, sealed for one node (HPKE, X25519 with
/// ChaCha20-Poly1305): what a node sends a peer when a case comes to involve it. Only the
/// recipient opens it, and only for the record and the sender it names.
public struct KeyGrant: Sendable, Hashable, Codable {
    /// The case (or certificate) id whose keys these are.
    public var recordId: String
    /// What the grant opens: `*` for everything, else personal field names.
    public var fields: [String]
    /// HPKE's encapsulated key, base64.
    public var encapsulatedKey: String
    /// The sealed keys, base64.
    public var ciphertext: String

    static let ciphersuite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    /// The most keys one grant carries: the record key, or each personal field once.
    static let maximumFields = PersonalField.allCases.count

    /// Why a grant cannot be opened or used.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Seals `keys` for `recipient` (a node's id, or `auditor:<id>`) under its public encryption key.
    public static func seal(_ keys: GrantedKeys, record: String, from sender: NodeID, to recipient: String,
                            recipientKey: Curve25519.KeyAgreement.PublicKey) throws -> KeyGrant {
        var hpke = try HPKE.Sender(recipientKey: recipientKey, ciphersuite: ciphersuite, info: info(sender, recipient: recipient))
        var plaintext: [UInt8] = []
        for (name, key) in keys.entries {
            plaintext += Array(name.utf8) + [0] + RecordKeys.bytes(key)
        }
        let sealed: Data = try hpke.seal(plaintext, authenticating: Data(record.utf8))
        return KeyGrant(recordId: record, fields: keys.entries.map(\.key), encapsulatedKey: hpke.encapsulatedKey.base64EncodedString(),
                        ciphertext: sealed.base64EncodedString())
    }

    /// Opens a grant `sender` sent this node: the keys, by `*` or field name.
    public func open(with key: NodeEncryptionKey, from sender: NodeID) throws(Refusal) -> GrantedKeys {
        guard StreamID.isRecordID(recordId) else { throw Refusal(reason: "recordId '\(recordId.prefix(64))' is not a record id") }
        guard let encapsulated = Data(base64Encoded: encapsulatedKey), let sealed = Data(base64Encoded: ciphertext),
              sealed.count <= 1024 else { throw Refusal(reason: "the grant of \(recordId) is not base64 of a sealed key") }
        let plaintext: Data
        do {
            var hpke = try HPKE.Recipient(privateKey: key.privateKey, ciphersuite: Self.ciphersuite, info: Self.info(sender, recipient: key.node.rawValue),
                                          encapsulatedKey: encapsulated)
            plaintext = try hpke.open(sealed, authenticating: Data(recordId.utf8))
        } catch {
            throw Refusal(reason: "the grant of \(recordId) does not open with this node's key (sealed for another node, or altered)")
        }
        return try GrantedKeys(plaintext: Array(plaintext), record: recordId)
    }

    private static func info(_ sender: NodeID, recipient: String) -> Data {
        Data("tongban key grant\n\(sender.rawValue)\n\(recipient)".utf8)
    }
}

/// The keys a grant carries: the record key (`*`) or single field keys.
public struct GrantedKeys: Sendable {
    /// Each key by what it opens: `*` (the record key) or a personal field's name.
    public private(set) var entries: [(key: String, value: SymmetricKey)]

    /// Everything: the record key.
    public init(recordKey: SymmetricKey) { entries = [("*", recordKey)] }

    /// Some fields, derived from the record key.
    public init(fields: [PersonalField], of recordKey: SymmetricKey) {
        entries = Set(fields).sorted().map { ($0.rawValue, RecordKeys.derive(recordKey, $0)) }
    }

    init(plaintext: [UInt8], record: String) throws(KeyGrant.Refusal) {
        entries = []
        var rest = plaintext[...]
        while !rest.isEmpty {
            guard let zero = rest.firstIndex(of: 0), rest.distance(from: zero, to: rest.endIndex) > 32,
                  let name = String(validating: rest[..<zero], as: UTF8.self),
                  name == "*" || PersonalField(rawValue: name) != nil, entries.count < KeyGrant.maximumFields else {
                throw KeyGrant.Refusal(reason: "the grant of \(record) holds no well-formed keys")
            }
            let keyStart = rest.index(after: zero)
            entries.append((name, SymmetricKey(data: rest[keyStart..<rest.index(keyStart, offsetBy: 32)])))
            rest = rest[rest.index(keyStart, offsetBy: 32)...]
        }
        guard !entries.isEmpty else { throw KeyGrant.Refusal(reason: "the grant of \(record) holds no keys") }
    }
}

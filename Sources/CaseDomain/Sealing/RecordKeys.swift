import Crypto
import Foundation

/// The keys that open one record's personal data (a case with its investigations, or a
/// certificate): the record key, from which every field's key is derived, or some field
/// keys only (what an investigation request shared).
public struct RecordKeys: Sendable, Hashable {
    /// The record key, where this node holds it.
    public private(set) var recordKey: SymmetricKey?
    /// Each field's key derived from ``recordKey`` once, for keys made with it
    /// (``init(recordKey:)``): they seal every event of a record, and HKDF per event was half
    /// the cost of sealing. A record key added later (read from a store) derives a field's key
    /// when that field is asked for: a read opens a field or two, once.
    private var derived: [PersonalField: SymmetricKey] = [:]
    /// Keys of single fields, given without the record key.
    public private(set) var fieldKeys: [PersonalField: [SymmetricKey]] = [:]

    /// No keys: everything stays sealed.
    public static let none = RecordKeys()

    public init() {}

    /// All of a record's fields, from its key.
    public init(recordKey: SymmetricKey) {
        self.recordKey = recordKey
        self.derived = Self.deriveAll(recordKey)
    }

    /// A new random record key (256 bits).
    public static func generate() -> RecordKeys { RecordKeys(recordKey: generatedKey()) }

    /// A new random 256-bit record key.
    public static func generatedKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

    /// Adds a key of a single field (several may be held: one per node that granted it).
    public mutating func add(_ key: SymmetricKey, for field: PersonalField) {
        fieldKeys[field, default: []].append(key)
    }

    /// Adds another record key (a node may have been granted the key more than once).
    public mutating func add(recordKey key: SymmetricKey) {
        if recordKey == nil { recordKey = key } else { PersonalField.allCases.forEach { add(Self.derive(key, $0), for: $0) } }
    }

    /// The keys to try for `field`, the record key's derivation first.
    public func keys(for field: PersonalField) -> [SymmetricKey] {
        (derivedKey(for: field).map { [$0] } ?? []) + (fieldKeys[field] ?? [])
    }

    /// The key `field` is sealed with, when this node holds it (the record key's
    /// derivation, or the field key a grant gave: the same key).
    public func sealingKey(for field: PersonalField) -> SymmetricKey? {
        derivedKey(for: field) ?? fieldKeys[field]?.first
    }

    /// The record key's derivation for `field`: made once at ``init(recordKey:)``, else now.
    private func derivedKey(for field: PersonalField) -> SymmetricKey? {
        derived[field] ?? recordKey.map { Self.derive($0, field) }
    }

    /// The fields these keys open.
    public var readableFields: Set<PersonalField> {
        recordKey != nil ? Set(PersonalField.allCases) : Set(fieldKeys.keys)
    }

    private static func deriveAll(_ recordKey: SymmetricKey) -> [PersonalField: SymmetricKey] {
        Dictionary(uniqueKeysWithValues: PersonalField.allCases.map { ($0, derive(recordKey, $0)) })
    }

    /// HKDF-SHA256 of the record key for one field.
    public static func derive(_ recordKey: SymmetricKey, _ field: PersonalField) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: recordKey, info: Data("tongban personal field \(field.rawValue)".utf8), outputByteCount: 32)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.recordKey.map(Self.bytes) == rhs.recordKey.map(Self.bytes)
            && lhs.fieldKeys.mapValues { $0.map(Self.bytes) } == rhs.fieldKeys.mapValues { $0.map(Self.bytes) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(recordKey.map(Self.bytes))
    }

    /// A key's 32 bytes.
    public static func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }
}

import Crypto
import Foundation

/// Personal data in an event body, sealed (schema version 2): each personal field's
/// values leave the body for a box under `sealed` — ChaCha20-Poly1305 with that field's
/// key, bound to the record, the event type and the field — and the rest of the body
/// stays as it was, so every node still verifies, relays and projects the event.
///
/// Schema version 1 bodies hold the same fields in plain text; reading one is the upcast
/// (nothing to open). Reading a version 2 body puts back what the keys open and leaves a
/// placeholder (`""`, `[]`) for what they do not: the domain reads both alike.
public enum SealedBody {
    /// The schema version of bodies with sealed personal data.
    public static let schemaVersion = 2
    /// The schema version of bodies written before sealing, personal data in plain text.
    public static let plainSchemaVersion = 1
    /// The body member holding the boxes: `[{"field": "name", "box": "<base64>"}]`.
    public static let member = "sealed"

    /// A body as read: the domain's shape, and which fields were opened or stay sealed.
    public struct Opened: Sendable, Hashable {
        public var body: JSONValue
        /// Fields whose plain text is in `body` (from a box, or a version 1 body).
        public var opened: Set<PersonalField>
        /// Fields present in the event that `body` holds placeholders for.
        public var sealed: Set<PersonalField>
    }

    /// Why a body cannot be sealed: the record key is not held here.
    public struct MissingKey: Error, Sendable, Hashable, CustomStringConvertible {
        public let record: String
        public var description: String { "this node does not hold the key of record \(record)" }
    }

    /// Seals the personal paths of `type` in `body` for `record` (a case or certificate id).
    /// A body with no personal data present comes back unchanged.
    public static func seal(_ body: JSONValue, type: String, record: String, keys: RecordKeys) throws -> JSONValue {
        guard case .object(var members) = body else { return body }
        var boxes: [PersonalField: [String: JSONValue]] = [:]
        for path in PersonalPaths.paths(ofType: type) {
            if let value = remove(path.keys, from: &members) { boxes[path.field, default: [:]][path.dotted] = value }
        }
        guard !boxes.isEmpty else { return body }
        var sealed: [JSONValue] = []
        for (field, values) in boxes.sorted(by: { $0.key < $1.key }) {
            guard let key = keys.sealingKey(for: field) else { throw MissingKey(record: record) }
            let plaintext = try CanonicalJSON.encode(.object(values))
            let box = try ChaChaPoly.seal(plaintext, using: key, authenticating: associatedData(record, type, field))
            sealed.append(.object(["field": .string(field.rawValue), "box": .string(box.combined.base64EncodedString())]))
        }
        members[member] = .array(sealed)
        return .object(members)
    }

    /// Reads a stored body into the domain's shape, opening what `keys` open.
    /// `nil` for a schema version this code does not read.
    public static func open(_ body: JSONValue, type: String, schemaVersion: Int, record: String?, keys: RecordKeys) -> Opened? {
        switch schemaVersion {
        case plainSchemaVersion:
            return Opened(body: body, opened: fields(presentIn: body, type: type), sealed: [])
        case Self.schemaVersion:
            guard case .object(var members) = body else { return Opened(body: body, opened: [], sealed: []) }
            let boxes = members.removeValue(forKey: member)?.arrayValue ?? []
            var opened: Set<PersonalField> = [], sealed: Set<PersonalField> = []
            var values: [String: JSONValue] = [:]
            for entry in boxes {
                guard let name = entry["field"]?.stringValue, let field = PersonalField(rawValue: name) else { continue }
                if let record, let box = entry["box"]?.stringValue, let plain = openBox(box, keys.keys(for: field), associatedData(record, type, field)) {
                    values.merge(plain) { first, _ in first }
                    opened.insert(field)
                } else {
                    sealed.insert(field)
                }
            }
            for path in PersonalPaths.paths(ofType: type) where opened.contains(path.field) || sealed.contains(path.field) {
                guard let value = values[path.dotted] ?? (path.isOptional ? nil : path.isList ? .array([]) : .string("")) else {
                    // An optional member left as `{}` by sealing its values is as absent as it was.
                    removeEmptyObject(at: path.keys.dropLast(), from: &members)
                    continue
                }
                insert(value, at: path.keys, into: &members)
            }
            return Opened(body: .object(members), opened: opened, sealed: sealed)
        default:
            return nil
        }
    }

    /// The plain values of one personal `field` of a stored body, by dotted path
    /// (`applicant.name`), where `keys` open it: `nil` where they do not, or the body holds
    /// none. Nothing else is opened — what a list showing one field of many records needs.
    public static func values(of field: PersonalField, in body: JSONValue, type: String, schemaVersion: Int, record: String,
                              keys: RecordKeys) -> [String: JSONValue]? {
        switch schemaVersion {
        case plainSchemaVersion:
            var values: [String: JSONValue] = [:]
            for path in PersonalPaths.paths(ofType: type) where path.field == field {
                if let value = body[path: path.keys] { values[path.dotted] = value }
            }
            return values.isEmpty ? nil : values
        case Self.schemaVersion:
            guard let box = box(of: field, in: body, schemaVersion: schemaVersion) else { return nil }
            return values(inBox: box, of: field, type: type, record: record, keys: keys)
        default:
            return nil
        }
    }

    /// The sealed box of one personal `field` in a stored body (base64, as recorded):
    /// ciphertext, which a projection may keep so that a list opens it without the event.
    /// `nil` for a body in plain text or one that seals no such field.
    public static func box(of field: PersonalField, in body: JSONValue, schemaVersion: Int) -> String? {
        guard schemaVersion == Self.schemaVersion else { return nil }
        return body[member]?.arrayValue?.first(where: { $0["field"]?.stringValue == field.rawValue })?["box"]?.stringValue
    }

    /// The plain values (by dotted path) in a ``box(of:in:schemaVersion:)`` of `field` of an
    /// event of `type` of `record`, where `keys` open it.
    public static func values(inBox box: String, of field: PersonalField, type: String, record: String, keys: RecordKeys) -> [String: JSONValue]? {
        openBox(box, keys.keys(for: field), associatedData(record, type, field))
    }

    /// The fields of `type` that `body` holds in plain text.
    static func fields(presentIn body: JSONValue, type: String) -> Set<PersonalField> {
        Set(PersonalPaths.paths(ofType: type).filter { body[path: $0.keys] != nil }.map(\.field))
    }

    private static func openBox(_ base64: String, _ keys: [SymmetricKey], _ associatedData: Data) -> [String: JSONValue]? {
        guard let combined = Data(base64Encoded: base64), let box = try? ChaChaPoly.SealedBox(combined: combined) else { return nil }
        for key in keys {
            if let plain = try? ChaChaPoly.open(box, using: key, authenticating: associatedData),
               case .object(let values)? = try? CanonicalJSON.decode(Array(plain)) {
                return values
            }
        }
        return nil
    }

    private static func associatedData(_ record: String, _ type: String, _ field: PersonalField) -> Data {
        Data("tongban sealed field\n\(record)\n\(type)\n\(field.rawValue)".utf8)
    }

    private static func remove(_ keys: [String], from members: inout [String: JSONValue]) -> JSONValue? {
        guard let first = keys.first else { return nil }
        if keys.count == 1 { return members.removeValue(forKey: first) }
        guard case .object(var inner)? = members[first] else { return nil }
        let removed = remove(Array(keys.dropFirst()), from: &inner)
        members[first] = .object(inner)
        return removed
    }

    private static func removeEmptyObject(at keys: ArraySlice<String>, from members: inout [String: JSONValue]) {
        guard let first = keys.first else { return }
        guard case .object(var inner)? = members[first] else { return }
        if keys.count == 1 {
            if inner.isEmpty { members[first] = nil }
            return
        }
        removeEmptyObject(at: keys.dropFirst(), from: &inner)
        members[first] = .object(inner)
    }

    private static func insert(_ value: JSONValue, at keys: [String], into members: inout [String: JSONValue]) {
        guard let first = keys.first else { return }
        if keys.count == 1 { members[first] = value; return }
        // Only into an object the body still has: a path whose parent is gone was not there.
        guard case .object(var inner)? = members[first] else { return }
        insert(value, at: Array(keys.dropFirst()), into: &inner)
        members[first] = .object(inner)
    }
}

extension JSONValue {
    /// The value at a path of object keys.
    subscript(path keys: [String]) -> JSONValue? {
        keys.reduce(Optional(self)) { value, key in value?[key] }
    }
}

extension JSONValue {
    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { items } else { nil }
    }
}

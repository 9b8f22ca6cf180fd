/// Encodes an `Encodable` value straight into a ``JSONValue`` (an event body, a stored
/// view), without spelling it out as text and parsing it again: the counterpart of
/// ``JSONValueDecoder``.
///
/// It gives what encoding with Foundation's `JSONEncoder` and reading the text back gave:
/// `nil` optionals are left out (or, with `explicitNulls`, given as `null`: what a
/// synthesized conformance passes to `encodeIfPresent`), a whole `Double` becomes an
/// integer, a non-finite one is refused.
enum JSONValueEncoder {
    static func encode<T: Encodable>(_ value: T, explicitNulls: Bool = false) throws -> JSONValue {
        let node = Node(explicitNulls: explicitNulls)
        try node.encode(value, codingPath: [])
        return node.value
    }

    /// One value being built; containers hand out child nodes and read them back at the end.
    fileprivate final class Node {
        private var scalar: JSONValue?
        private var members: [String: Node]?
        private var elements: [Node]?
        /// Whether an absent optional member is given as `null` (in this node and its children).
        let explicitNulls: Bool

        init(explicitNulls: Bool) {
            self.explicitNulls = explicitNulls
        }

        var value: JSONValue {
            if let members { return .object(members.mapValues(\.value)) }
            if let elements { return .array(elements.map(\.value)) }
            return scalar ?? .object([:])
        }

        func set(_ value: JSONValue) {
            scalar = value
            members = nil
            elements = nil
        }

        /// Makes this node an object (empty until members are added).
        func startObject() {
            if members == nil { members = [:] }
        }

        /// Makes this node an array (empty until elements are appended).
        func startArray() {
            if elements == nil { elements = [] }
        }

        func member(_ key: String) -> Node {
            if members == nil { members = [:] }
            let child = Node(explicitNulls: explicitNulls)
            members![key] = child
            return child
        }

        func appendElement() -> Node {
            if elements == nil { elements = [] }
            let child = Node(explicitNulls: explicitNulls)
            elements!.append(child)
            return child
        }

        var elementCount: Int { elements?.count ?? 0 }

        func encode<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
            switch value {
            case let json as JSONValue: set(json)
            case let text as String: set(.string(text))
            case let flag as Bool: set(.bool(flag))
            case let number as Int: set(.integer(Int64(number)))
            case let number as Int64: set(.integer(number))
            case let number as Int32: set(.integer(Int64(number)))
            case let number as Double: set(try Self.number(number, codingPath: codingPath))
            default: try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
            }
        }

        static func number(_ number: Double, codingPath: [any CodingKey]) throws -> JSONValue {
            guard number.isFinite else {
                throw EncodingError.invalidValue(number, .init(codingPath: codingPath, debugDescription: "\(number) is not a JSON number"))
            }
            if let whole = Int64(exactly: number) { return .integer(whole) }
            return .double(number)
        }
    }

    private struct NodeEncoder: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(node: node, codingPath: codingPath)
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        init(node: Node, codingPath: [any CodingKey]) {
            self.node = node
            self.codingPath = codingPath
            node.startObject()
        }

        mutating func encodeNil(forKey key: Key) throws {
            node.member(key.stringValue).set(.null)
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try node.member(key.stringValue).encode(value, codingPath: codingPath + [key])
        }

        // What synthesized conformances call for an optional property: left out, or `null`
        // with `explicitNulls`.
        private mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value {
                try encode(value, forKey: key)
            } else if node.explicitNulls {
                try encodeNil(forKey: key)
            }
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOrNull(value, forKey: key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keyed<NestedKey>(node: node.member(key.stringValue), codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            Unkeyed(node: node.member(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder {
            NodeEncoder(node: node.member("super"), codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
        }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.elementCount }

        init(node: Node, codingPath: [any CodingKey]) {
            self.node = node
            self.codingPath = codingPath
            node.startArray()
        }

        mutating func encodeNil() throws {
            node.appendElement().set(.null)
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try node.appendElement().encode(value, codingPath: codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keyed<NestedKey>(node: node.appendElement(), codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            Unkeyed(node: node.appendElement(), codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder {
            NodeEncoder(node: node.appendElement(), codingPath: codingPath)
        }
    }

    private struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.set(.null) }
        mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
        mutating func encode(_ value: String) throws { node.set(.string(value)) }
        mutating func encode(_ value: Double) throws { node.set(try Node.number(value, codingPath: codingPath)) }
        mutating func encode(_ value: Int) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: Int64) throws { node.set(.integer(value)) }
        mutating func encode(_ value: Float) throws { node.set(try Node.number(Double(value), codingPath: codingPath)) }
        mutating func encode(_ value: Int8) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: Int16) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: Int32) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: UInt8) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { node.set(.integer(Int64(value))) }
        mutating func encode(_ value: UInt) throws { node.set(try Self.integer(value, codingPath: codingPath)) }
        mutating func encode(_ value: UInt64) throws { node.set(try Self.integer(value, codingPath: codingPath)) }

        private static func integer(_ value: some BinaryInteger, codingPath: [any CodingKey]) throws -> JSONValue {
            guard let number = Int64(exactly: value) else {
                throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit a 64-bit integer"))
            }
            return .integer(number)
        }

        mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, codingPath: codingPath) }
    }
}

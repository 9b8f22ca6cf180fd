import Foundation

/// The one spelling of a JSON value that tongban hashes and signs.
///
/// Object members are sorted by their UTF-16 code units (as RFC 8785 does), there is no
/// insignificant whitespace, strings escape only `"`, `\` and control characters, and
/// numbers are integers or the shortest round-tripping decimal of a finite double.
/// The bytes are produced once, when an event is authored, and stored as they are:
/// nothing re-serialises a stored body to check it.
public enum CanonicalJSON {
    /// Below this magnitude a whole-valued double is written, and read, as an integer.
    static let largestIntegralDouble = 1e15

    /// Errors of turning a value into canonical JSON.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// A double that is NaN or infinite has no JSON spelling.
        case nonFiniteNumber(path: String)
        /// The bytes are not a JSON document.
        case malformed(String)

        public var description: String {
            switch self {
            case .nonFiniteNumber(let path): "non-finite number at \(path) has no JSON spelling"
            case .malformed(let reason): "malformed JSON: \(reason)"
            }
        }
    }

    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) throws(Error) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        do {
            try write(value, into: &output)
        } catch .nonFiniteNumber(let path) {
            throw .nonFiniteNumber(path: "$" + path)
        }
        return output
    }

    /// The canonical bytes of any `Encodable` value, through its ``JSONValue``.
    public static func encode<Value: Encodable>(encodable value: Value) throws -> [UInt8] {
        try encode(jsonValue(of: value))
    }

    /// The ``JSONValue`` an `Encodable` value encodes to.
    public static func jsonValue<Value: Encodable>(of value: Value) throws -> JSONValue {
        try JSONValueEncoder.encode(value)
    }

    /// The ``JSONValue`` an `Encodable` value encodes to, each absent optional property
    /// given as `null` rather than left out (what API answers show: `"number": null`).
    public static func jsonValue<Value: Encodable>(withNullsOf value: Value) throws -> JSONValue {
        try JSONValueEncoder.encode(value, explicitNulls: true)
    }

    /// Decodes a `Decodable` value from its JSON value (an event body, say).
    public static func decode<Value: Decodable>(_ type: Value.Type, from value: JSONValue) throws -> Value {
        try JSONValueDecoder.scalar(Value.self, value, [])
    }

    /// Parses JSON bytes (canonical or not) into a value.
    public static func decode(_ bytes: some Collection<UInt8>) throws(Error) -> JSONValue {
        try JSONParser.parse(Array(bytes))
    }

    /// Writes `value`; a non-finite number's path is built as the error unwinds, so the
    /// common case builds no path strings.
    private static func write(_ value: JSONValue, into output: inout [UInt8]) throws(Error) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
        case .double(let number):
            guard number.isFinite else { throw .nonFiniteNumber(path: "") }
            if number == number.rounded(), abs(number) < largestIntegralDouble {
                output.append(contentsOf: String(Int64(number)).utf8)
            } else {
                output.append(contentsOf: "\(number)".utf8)
            }
        case .string(let text):
            writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                do { try write(element, into: &output) } catch .nonFiniteNumber(let path) {
                    throw .nonFiniteNumber(path: "[\(index)]" + path)
                }
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                do { try write(members[key]!, into: &output) } catch .nonFiniteNumber(let path) {
                    throw .nonFiniteNumber(path: ".\(key)" + path)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

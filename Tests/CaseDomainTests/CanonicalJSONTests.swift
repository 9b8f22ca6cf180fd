import CaseDomain
import Foundation
import Testing

@Suite("Canonical JSON, timestamps and identifiers")
struct CanonicalJSONTests {
    @Test func keysAreSortedAndWhitespaceIsAbsent() throws {
        let value: JSONValue = .object(["b": .integer(2), "a": .array([.null, .bool(true), .string("x")]), "A": .double(1.5)])
        #expect(String(decoding: try CanonicalJSON.encode(value), as: UTF8.self) == #"{"A":1.5,"a":[null,true,"x"],"b":2}"#)
    }

    @Test func stringsEscapeOnlyWhatJSONRequires() throws {
        let value: JSONValue = .string("引号\"\\/\n\u{01}é")
        #expect(String(decoding: try CanonicalJSON.encode(value), as: UTF8.self) == #""引号\"\\/\n\u0001é""#)
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: CanonicalJSON.Error.nonFiniteNumber(path: "$.x")) { try CanonicalJSON.encode(.object(["x": .double(.nan)])) }
    }

    @Test func canonicalBytesRoundTrip() throws {
        for _ in 0..<200 {
            let value = Self.randomValue(depth: 3)
            let bytes = try CanonicalJSON.encode(value)
            let decoded = try CanonicalJSON.decode(bytes)
            #expect(try CanonicalJSON.encode(decoded) == bytes, "re-encoding \(String(decoding: bytes, as: UTF8.self)) changed it")
        }
    }

    static func randomValue(depth: Int) -> JSONValue {
        switch Int.random(in: 0...(depth > 0 ? 6 : 4)) {
        case 0: .null
        case 1: .bool(.random())
        case 2: .integer(.random(in: -1_000_000_000_000...1_000_000_000_000))
        case 3: .string(String((0..<Int.random(in: 0...8)).map { _ in "a中\"\\\n😀z".randomElement()! }))
        case 4: .double(Double(Int.random(in: -1000...1000)) + 0.25)
        case 5: .array((0..<Int.random(in: 0...3)).map { _ in randomValue(depth: depth - 1) })
        default: .object(Dictionary((0..<Int.random(in: 0...3)).map { _ in ("k\(Int.random(in: 0...9))", randomValue(depth: depth - 1)) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    @Test func timestampsHaveOneTextForm() throws {
        #expect(Timestamp(millisecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(iso8601: "2024-02-29T23:59:59.999Z")?.description == "2024-02-29T23:59:59.999Z")
        #expect(Timestamp(iso8601: "2023-02-29T00:00:00Z") == nil, "2023 has no 29 February")
        #expect(Timestamp(iso8601: "2026-11-24T08:30:00+08:00") == nil, "only UTC with Z")
        for _ in 0..<1000 {
            let instant = Timestamp(millisecondsSinceEpoch: .random(in: -2_000_000_000_000...5_000_000_000_000))
            #expect(Timestamp(iso8601: instant.description) == instant)
        }
    }

    @Test func timestampsMatchKnownInstants() {
        let known: [(Int64, String)] = [
            (1795000000123, "2026-11-18T11:06:40.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951782400000, "2000-02-29T00:00:00.000Z"),
            (4102444799999, "2099-12-31T23:59:59.999Z"),
            (-2208988800000, "1900-01-01T00:00:00.000Z"),
        ]
        for (millis, text) in known {
            #expect(Timestamp(millisecondsSinceEpoch: millis).description == text)
        }
    }

    @Test func identifiersAreValidated() {
        #expect(NodeID(rawValue: "rizhao") != nil)
        #expect(NodeID(rawValue: "Rizhao") == nil)
        #expect(CentreID(rawValue: "rizhao-wulian")?.node == NodeID(rawValue: "rizhao"))
        #expect(CentreID(rawValue: "rizhao") == nil)
        #expect(CentreID(rawValue: "rizhao-") == nil)
        #expect(Actor(jsonValue: Actor.system.jsonValue) == .system)
    }
}

/// The parser every stored and received envelope goes through, and the decoder that reads
/// event bodies without re-serialising them.
@Suite("JSON parsing and decoding from values")
struct JSONParsingTests {
    @Test func parsesEveryKindOfValueAndEscape() throws {
        let text = #" {"a": [1, -0, 2.5, -1e3, 9223372036854775807, 1e400e], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "t": true, "f": false, "n": null} "#
        #expect(throws: CanonicalJSON.Error.self, "1e400e is not a number") { try CanonicalJSON.decode(Array(text.utf8)) }
        let valid = text.replacingOccurrences(of: ", 1e400e", with: ", 92233720368547758070")
        let value = try CanonicalJSON.decode(Array(valid.utf8))
        #expect(value["a"] == .array([.integer(1), .integer(0), .double(2.5), .integer(-1000), .integer(Int64.max), .double(92233720368547758070)]))
        #expect(value["s"] == .string("x\"\\/\u{08}\u{0C}\n\r\té😀"))
        #expect(value["t"] == .bool(true) && value["f"] == .bool(false) && value["n"] == .null)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"",
        "{\"a\":1,\"a\":2}", "[1] [2]", "nul", "tru", "\"unterminated", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: CanonicalJSON.Error.self, "'\(text.prefix(20))' must be refused") { try CanonicalJSON.decode(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: CanonicalJSON.Error.self) { try CanonicalJSON.decode([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func randomValuesSurviveEncodeAndParse() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &generator))
            case 3: return .double(Double.random(in: -1e20...1e20, using: &generator))
            case 4: return .string(String((0..<Int.random(in: 0..<8, using: &generator)).map { _ in "a\"\\\n\u{1}é中😀".randomElement(using: &generator)! }))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in random(depth + 1) })
            default: return .object(Dictionary((0..<Int.random(in: 0..<4, using: &generator)).map { ("k\($0)\("é😀".randomElement(using: &generator)!)", random(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            let bytes = try CanonicalJSON.encode(value)
            let parsed = try CanonicalJSON.decode(bytes)
            #expect(try CanonicalJSON.encode(parsed) == bytes, "canonical bytes must survive parse and encode: \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    struct Sample: Codable, Equatable {
        var name: String
        var count: Int64
        var ratio: Double
        var flags: [Bool]
        var nested: [String: Int]
        var optional: String?
        var centre: CentreID
        var at: Timestamp
    }

    @Test func decodesFromValuesAsJSONDecoderWould() throws {
        let sample = Sample(name: "张", count: 3, ratio: 2, flags: [true, false], nested: ["a": 1], optional: nil,
                            centre: CentreID(rawValue: "qingdao-licang")!, at: Timestamp(iso8601: "2026-11-20T02:00:00Z")!)
        let value = try CanonicalJSON.jsonValue(of: sample)
        #expect(try CanonicalJSON.decode(Sample.self, from: value) == sample)
        guard case .object(var fields) = value else { Issue.record("not an object"); return }
        fields["count"] = .string("3")
        #expect(throws: DecodingError.self, "a string is not an integer") { try CanonicalJSON.decode(Sample.self, from: .object(fields)) }
        fields["count"] = nil
        #expect(throws: DecodingError.self, "a missing member is refused") { try CanonicalJSON.decode(Sample.self, from: .object(fields)) }
        fields["count"] = .integer(3)
        fields["centre"] = .string("Licang")
        #expect(throws: DecodingError.self, "an invalid centre id is refused") { try CanonicalJSON.decode(Sample.self, from: .object(fields)) }
    }
}

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

import CaseDomain
import Foundation
import TestSupport
import Testing

/// Invariant 9's rules in the domain: every text and number an event holds.
@Suite("Values are valid by construction")
struct ValueRulesTests {
    static let refusedInNames: [(String, String)] = [
        ("\u{0}", "NUL"), ("a\u{1}b", "control"), ("a\u{7F}", "control"), ("a\u{85}", "control"), ("a\u{9F}", "control"),
        ("a\tb", "tab"), ("a\nb", "line"), ("a\u{2028}b", "line separator"), ("a\u{2029}b", "paragraph separator"), ("\u{202E}evil", "bidi"), ("\u{2066}x", "bidi"), ("x\u{200B}", "format"),
        ("\u{0600}x", "format"), ("\u{FEFF}x", "format"),
        (String(Character(Unicode.Scalar(0xFFFE)!)), "noncharacter"), (String(Character(Unicode.Scalar(0xFDD0)!)), "noncharacter"),
    ]

    @Test(arguments: refusedInNames)
    func namesRefuse(text: String, kind: String) {
        #expect(TextRule.name.violation(of: text) != nil, "\(kind)")
    }

    @Test func namesAcceptOrdinaryText() {
        for name in ["张某", "O'Brien-Smith", "Zoë Müller", "李 律师", "山东某律师事务所", "👩‍⚖️"] where !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .format }) {
            #expect(TextRule.name.violation(of: name) == nil, "\(name)")
        }
        #expect(TextRule.name.violation(of: String(repeating: "张", count: 100)) == nil)
        #expect(TextRule.name.violation(of: String(repeating: "张", count: 101)) != nil)
    }

    @Test func longTextAllowsLineBreaksAndEmojiButNotBidiOrControl() {
        #expect(TextRule.long.violation(of: "第一行\n第二行\t缩进 👩‍⚖️") == nil)
        #expect(TextRule.long.violation(of: "第一段\u{2029}第二段") == nil, "long text may break lines with Unicode's separators too")
        #expect(TextRule.long.violation(of: "a\u{202E}b") != nil)
        #expect(TextRule.long.violation(of: "a\rb") != nil)
        #expect(TextRule.long.violation(of: String(repeating: "x", count: 4001)) != nil)
    }

    @Test func bodiesAreJudgedFieldByFieldWithTheirPaths() {
        func field(_ body: JSONValue) -> String? {
            do throws(EventValueRules.Violation) { try EventValueRules.check(body: body) } catch { return error.field }
            return nil
        }
        #expect(field(["documents": [["name": "a.pdf", "mediaType": "application/pdf", "size": 10, "sha256": .string(String(repeating: "0", count: 64))]]]) == nil)
        #expect(field(["documents": [["mediaType": "text/html"]]]) == "documents[0].mediaType")
        #expect(field(["documents": [["sha256": "ABC"]]]) == "documents[0].sha256")
        #expect(field(["documents": [["size": -1]]]) == "documents[0].size")
        #expect(field(["recoveredAmount": .integer(Int64.max)]) == "recoveredAmount")
        #expect(field(["applicant": ["name": "\u{202E}x"]]) == "applicant.name")
        #expect(field(["questions": .array(Array(repeating: "q?", count: 201).map { .string($0) })]) == "questions")
        #expect(field(["bad key": "x"]) == "bad key")
        var deep: JSONValue = "x"
        for _ in 0..<10 { deep = ["a": deep] }
        #expect(field(deep) != nil)
        #expect(throws: EventValueRules.Violation.self) { try EventValueRules.check(type: "Bad Type", staff: "s") }
        #expect(throws: EventValueRules.Violation.self) { try EventValueRules.check(type: "TransferRequested", staff: "\u{0}") }
    }

    @Test func timestampArithmeticSaturatesAndOutsideInstantsAreRefused() {
        #expect(Timestamp(exactly: .min) == nil && Timestamp(exactly: .max) == nil)
        #expect(Timestamp(millisecondsSinceEpoch: .min) == .earliest && Timestamp(millisecondsSinceEpoch: .max) == .latest)
        #expect(Timestamp.latest.adding(days: .max) == .latest && Timestamp.earliest.adding(days: .min) == .earliest)
        #expect(Timestamp.latest.adding(milliseconds: .max) == .latest && Timestamp.earliest.adding(milliseconds: .min) == .earliest)
        #expect(Timestamp.latest.milliseconds(since: .earliest) > 0)
        #expect(Timestamp.earliest.description == "0000-01-01T00:00:00.000Z" && Timestamp.latest.description == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(iso8601: Timestamp.earliest.description) == .earliest)
        #expect(Timestamp(iso8601: "2026-11-24T08:30:00Z")!.adding(days: 1).description == "2026-11-25T08:30:00.000Z")
    }

    @Test func streamIdsHaveOneSpelling() {
        let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
        #expect(StreamID("case-\(id)")?.description == "case-\(id)")
        #expect(StreamID("case-\(id)")?.caseID == id)
        #expect(StreamID("investigation-\(id)") == .investigation(UUID(uuidString: id)!))
        #expect(StreamID("case-\(id.uppercased())") == nil, "one spelling: lowercase")
        #expect(StreamID("case-1") == nil && StreamID("case-") == nil && StreamID("") == nil)
        #expect(StreamID("numbering-case-qingdao-licang-2026") == .register("numbering-case-qingdao-licang-2026"))
        #expect(StreamID("subsidy-ledger-rizhao") == .other("subsidy-ledger-rizhao"), "a kind a newer node writes")
        #expect(StreamID("case-\u{0}") == nil && !StreamID.isWellFormed(String(repeating: "a", count: 129)))
    }

    /// A whole number written with an exponent or a fraction is read as the integer its
    /// canonical encoding writes (the fuzzer found `3E5` read as a double and written back
    /// as `300000`, an integer: seed 1112040661291943276, round 10188).
    @Test func aWholeNumberReadsAsTheIntegerItIsWrittenAs() throws {
        for (text, expected) in [("3E5", Int64(300_000)), ("2.0", 2), ("-1e2", -100), ("25e-1", nil), ("1e300", nil)] {
            let value = try CanonicalJSON.decode(Array(text.utf8))
            if let expected { #expect(value == .integer(expected), "\(text)") } else { #expect(value != .integer(0) && { if case .double = value { true } else { false } }(), "\(text)") }
            #expect(try CanonicalJSON.decode(try CanonicalJSON.encode(value)) == value, "\(text)")
        }
    }

    /// The canonical JSON parser reads events from every peer: random and mutated input
    /// never traps, and what it accepts it writes back as it read (seeded; TONGBAN_FUZZ_SEED replays).
    @Test func theJSONParserSurvivesRandomAndMutatedInput() throws {
        let seed = SeededRandom.seed(from: "TONGBAN_FUZZ_SEED")
        var random = SeededRandom(seed: seed)
        let corpus: [[UInt8]] = [
            Array(#"{"a":[1,-2,3.5,true,false,null,"x\u0000\ud83d\ude00"],"b":{"c":"张"}}"#.utf8),
            Array(#"{"applicant":{"name":"张某","groups":["migrant-worker"]},"recoveredAmount":9007199254740993}"#.utf8),
            Array("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".utf8),
        ]
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = corpus[round % corpus.count]
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                case 2 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
                default: bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
            }
            guard let value = try? CanonicalJSON.decode(bytes) else { continue }
            accepted += 1
            let again = try CanonicalJSON.decode(try CanonicalJSON.encode(value))
            #expect(again == value, "seed \(seed), round \(round): \(bytes)")
        }
        #expect(accepted > 0, "seed \(seed): some mutations stay valid JSON")
    }
}

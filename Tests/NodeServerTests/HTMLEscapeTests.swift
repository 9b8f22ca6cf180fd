import Casework
import Foundation
@testable import NodeServer
import TestSupport
import Testing

/// `HTML.escape` works on Unicode scalars: no scalar that ends a text run or an attribute
/// value survives, whatever scalar comes before or after it in the same grapheme cluster.
@Suite("HTML escaping")
struct HTMLEscapeTests {
    /// Scalars that glue onto their neighbours (prepended concatenation marks and a prepend
    /// letter, combining marks, joiners, bidi controls, variation selectors), markup, and text.
    static let alphabet: [Unicode.Scalar] = [
        "<", ">", "&", "\"", "'", "/", "=", " ", "a", "z", "中", "\u{0600}", "\u{0605}", "\u{0D4E}", "\u{111C2}", "\u{0301}",
        "\u{0338}", "\u{20DD}", "\u{200D}", "\u{202E}", "\u{2066}", "\u{2069}", "\u{FE0F}", "\u{1F1E8}", "\u{1F1F3}", "\r", "\n",
        "\u{1100}", "\u{1161}", "\u{FFFD}",
    ]

    /// Undoes the five references `escape` writes, scalar by scalar (Foundation's string
    /// search matches whole characters, which is the very mistake under test).
    static func unescaped(_ text: String) -> [Unicode.Scalar] {
        let references: [(String, Unicode.Scalar)] = [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'")]
        let scalars = Array(text.unicodeScalars)
        var result: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            if let (reference, scalar) = references.first(where: { scalars[index...].starts(with: $0.0.unicodeScalars) }) {
                result.append(scalar)
                index += reference.unicodeScalars.count
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return result
    }

    @Test func aScalarThatJoinsTheNextOrThePreviousCharacterHidesNoMarkup() {
        #expect(HTML.escape("\u{0600}<meta http-equiv=refresh content=0;url=https://example.org/>\u{0301}")
                == "\u{0600}&lt;meta http-equiv=refresh content=0;url=https://example.org/&gt;\u{0301}")
        #expect(HTML.escape("\u{0D4E}<b>") == "\u{0D4E}&lt;b&gt;")
        #expect(HTML.escape("x\"\u{0301} onfocus=y '\u{0301}") == "x&quot;\u{0301} onfocus=y &#39;\u{0301}")
        #expect(HTML.escape("&\u{0301}amp;</script>") == "&amp;\u{0301}amp;&lt;/script&gt;")
        #expect(HTML.escape("\u{202E}<\u{202C}") == "\u{202E}&lt;\u{202C}")
    }

    /// Random strings over `alphabet` from a recorded seed (`TONGBAN_ESCAPE_SEED` replays one):
    /// the escaped text holds none of `< > " '`, every `&` starts one of the five references,
    /// and unescaping gives back exactly the scalars that went in.
    @Test func escapedTextHoldsNoMarkupScalarAndLosesNothing() {
        let seed = ProcessInfo.processInfo.environment["TONGBAN_ESCAPE_SEED"].flatMap { UInt64($0) } ?? 0x7107_BA17_2026_0013
        var generator = SeededRandom(seed: seed)
        for round in 0..<5_000 {
            let length = Int.random(in: 0...24, using: &generator)
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length { scalars.append(Self.alphabet.randomElement(using: &generator)!) }
            let text = String(scalars)
            let escaped = HTML.escape(text)
            let forbidden = escaped.unicodeScalars.filter { "<>\"'".unicodeScalars.contains($0) }
            let bareAmpersands = escaped.unicodeScalars.indices.filter { index in
                escaped.unicodeScalars[index] == "&" && !MarkupCheck.startsEntity(escaped.unicodeScalars[index...])
            }
            #expect(forbidden.isEmpty && bareAmpersands.isEmpty,
                    "seed \(seed), round \(round): \(text.unicodeScalars.map { String($0.value, radix: 16) }) escaped to \(escaped.debugDescription)")
            let restored = Self.unescaped(escaped)
            #expect(restored == Array(text.unicodeScalars), "seed \(seed), round \(round): lossy")
            if !forbidden.isEmpty || !bareAmpersands.isEmpty || restored != Array(text.unicodeScalars) { return }
        }
    }
}

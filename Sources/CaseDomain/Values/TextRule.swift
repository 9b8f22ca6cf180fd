/// What a piece of text in an event may be: one rule per kind of field, the same on every
/// node, so that a local write and an import are judged alike.
///
/// Every rule refuses C0 and C1 control characters (long text may hold tab and newline),
/// Unicode noncharacters, and text longer than the rule's limit in Unicode scalars. Names
/// and short fields also refuse format characters (bidi controls, zero-width marks, the
/// Arabic number signs that prefix a following character): a name is shown in lists and
/// pages of other cities and must look like what it is. Long text refuses bidi controls.
/// (A Swift `String` is valid Unicode by construction; invalid UTF-8 is refused where the
/// bytes are read.)
public struct TextRule: Sendable, Hashable, CustomStringConvertible {
    /// The most Unicode scalars the text may have.
    public let maximumLength: Int
    /// Whether tab and newline are allowed (multi-line free text).
    public let allowsLineBreaks: Bool
    /// Whether format characters other than bidi controls are allowed (ZWJ in emoji, say).
    public let allowsFormatCharacters: Bool

    /// A person's, firm's or document's name: 100 scalars, one line, no format characters.
    public static let name = TextRule(maximumLength: 100, allowsLineBreaks: false, allowsFormatCharacters: false)
    /// A short field (venue, cause, outcome, an ID or phone number, a number): 200 scalars, one line.
    public static let short = TextRule(maximumLength: 200, allowsLineBreaks: false, allowsFormatCharacters: false)
    /// Free text (summary, reasons, findings, notes, statements, questions): 4,000 scalars, tab and newline allowed.
    public static let long = TextRule(maximumLength: 4000, allowsLineBreaks: true, allowsFormatCharacters: true)

    public var description: String {
        "at most \(maximumLength) characters\(allowsLineBreaks ? "" : " on one line"), no control\(allowsFormatCharacters ? " or bidi" : " or format") characters"
    }

    /// Why `text` breaks the rule, or `nil` when it keeps it.
    public func violation(of text: String) -> String? {
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            guard count <= maximumLength else { return "longer than \(maximumLength) characters" }
            let value = scalar.value
            if value == 0 { return "contains U+0000 (NUL)" }
            if value == 0x09 || value == 0x0A {
                if allowsLineBreaks { continue }
                return "contains a tab or line break (one line only)"
            }
            // Unicode's own line and paragraph separators break a line as \n does.
            if value == 0x2028 || value == 0x2029 {
                if allowsLineBreaks { continue }
                return "contains the line or paragraph separator \(Self.codePoint(value)) (one line only)"
            }
            if value < 0x20 || (0x7F...0x9F).contains(value) { return "contains the control character \(Self.codePoint(value))" }
            if Self.isNoncharacter(value) { return "contains the noncharacter \(Self.codePoint(value))" }
            if Self.isBidiControl(value) { return "contains the bidi control \(Self.codePoint(value))" }
            if !allowsFormatCharacters, scalar.properties.generalCategory == .format {
                return "contains the invisible format character \(Self.codePoint(value))"
            }
        }
        return nil
    }

    private static func isNoncharacter(_ value: UInt32) -> Bool {
        (0xFDD0...0xFDEF).contains(value) || value & 0xFFFE == 0xFFFE
    }

    private static func isBidiControl(_ value: UInt32) -> Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F || value == 0x061C
    }

    private static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

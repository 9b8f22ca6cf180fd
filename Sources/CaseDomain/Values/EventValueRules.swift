/// The federation's value rules for event bodies (DESIGN invariant 9): what any event a
/// node writes or imports may contain. A local write that breaks them is refused naming
/// the field; an imported one is quarantined on its own.
///
/// Fields are judged by their key wherever they sit (`applicant.name` and
/// `documents[0].name` are both names), so an event type this node does not know yet is
/// judged by the same rules: a key it has never seen is free text.
public struct EventValueRules: Sendable, Hashable {
    /// The largest event, in bytes of its canonical envelope (the body and some 600 bytes
    /// of envelope): the same on every node (federation file), and smaller than any sync
    /// page, so that every event fits one.
    public var maximumEventBytes: Int

    /// 64 KiB: room for an application with a hundred documents and several free-text fields full.
    public static let defaultMaximumEventBytes = 64 * 1024
    /// Elements in one array at most (documents, questions, missing items, groups).
    public static let maximumArrayCount = 200
    /// Nesting of objects and arrays at most.
    public static let maximumDepth = 8
    /// The schema versions an event may declare (a node may not know them all yet).
    public static let schemaVersions: ClosedRange<Int> = 1...1000

    public init(maximumEventBytes: Int = Self.defaultMaximumEventBytes) {
        self.maximumEventBytes = maximumEventBytes
    }

    /// A field that breaks the rules: its path in the body and why.
    public struct Violation: Error, Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }

        public var description: String { "\(field): \(reason)" }
    }

    /// Checks every value of a body; throws the first violation in key order.
    public static func check(body: JSONValue) throws(Violation) {
        try check(body, path: "", key: nil, depth: 0)
    }

    /// Checks the size of an event's canonical envelope.
    public func check(eventBytes: Int) throws(Violation) {
        guard eventBytes <= maximumEventBytes else {
            throw Violation(field: "body", reason: "the event is \(eventBytes) bytes; an event holds at most \(maximumEventBytes)")
        }
    }

    /// Checks the envelope fields a writer chooses: the event type and the acting staff member.
    public static func check(type: String, staff: String) throws(Violation) {
        guard !type.isEmpty, type.utf8.count <= 64, type.utf8.allSatisfy({ $0.isASCIILetterOrDigit }) else {
            throw Violation(field: "type", reason: "an event type is 1 to 64 ASCII letters and digits")
        }
        if let reason = TextRule.name.violation(of: staff) { throw Violation(field: "actor.staff", reason: reason) }
        guard !staff.isEmpty else { throw Violation(field: "actor.staff", reason: "must not be empty") }
    }

    private static func check(_ value: JSONValue, path: String, key: String?, depth: Int) throws(Violation) {
        let field = path.isEmpty ? "body" : path
        switch value {
        case .null, .bool, .double:
            return
        case .integer(let number):
            let range = FieldRules.integerRange(forKey: key)
            guard range.contains(number) else { throw Violation(field: field, reason: "must be from \(range.lowerBound) to \(range.upperBound)") }
        case .string(let text):
            if let violation = FieldRules.violation(of: text, forKey: key) { throw Violation(field: field, reason: violation) }
        case .array(let items):
            guard depth < maximumDepth else { throw Violation(field: field, reason: "nested deeper than \(maximumDepth)") }
            guard items.count <= maximumArrayCount else { throw Violation(field: field, reason: "has more than \(maximumArrayCount) elements") }
            for (index, item) in items.enumerated() {
                try check(item, path: "\(path)[\(index)]", key: key, depth: depth + 1)
            }
        case .object(let members):
            guard depth < maximumDepth else { throw Violation(field: field, reason: "nested deeper than \(maximumDepth)") }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = path.isEmpty ? name : "\(path).\(name)"
                guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy({ $0.isASCIILetterOrDigit }) else {
                    throw Violation(field: memberPath, reason: "a field name is 1 to 64 ASCII letters and digits")
                }
                try check(member, path: memberPath, key: name, depth: depth + 1)
            }
        }
    }
}

/// Which rule a field's key names. Keys not listed are free text (``TextRule/long``).
enum FieldRules {
    static let names: Set<String> = ["name", "lawyer", "firm", "staff", "holder", "holderName", "issuedBy"]
    static let shortTexts: Set<String> = [
        "venue", "cause", "outcome", "idNumber", "holderIdNumber", "phone", "number", "basis", "group", "groups", "standard",
        "kind", "missing", "certificateId", "caseId", "caseStream", "investigationId", "register", "year",
    ]

    static func violation(of text: String, forKey key: String?) -> String? {
        switch key {
        case "mediaType":
            DocumentMediaType(rawValue: text) == nil ? "one of \(DocumentMediaType.allCases.map(\.rawValue).joined(separator: ", "))" : nil
        case "box":
            // A sealed field (``SealedBody``): base64, bounded by the event's size.
            text.utf8.allSatisfy({ $0.isBase64Character }) ? nil : "base64 of a sealed box"
        case "sha256", "issuingEventHash":
            text.utf8.count == 64 && text.utf8.allSatisfy({ $0.isLowercaseHexDigit }) ? nil : "64 lowercase hexadecimal digits"
        case let key? where key.hasSuffix("Index"):
            // A blind index (``BlindIndex``): an HMAC-SHA256 in hex.
            text.utf8.count == 64 && text.utf8.allSatisfy({ $0.isLowercaseHexDigit }) ? nil : "64 lowercase hexadecimal digits"
        case let key? where names.contains(key):
            TextRule.name.violation(of: text)
        case let key? where shortTexts.contains(key) || key.hasSuffix("Centre") || key.hasSuffix("Node") || key.hasSuffix("At") || key.hasSuffix("Id"):
            TextRule.short.violation(of: text)
        default:
            TextRule.long.violation(of: text)
        }
    }

    /// Amounts are in fen, up to 10 billion yuan; a document up to 1 GiB; day counts up to
    /// a year; anything else within what a JSON reader in any language reads exactly (2^53).
    static func integerRange(forKey key: String?) -> ClosedRange<Int64> {
        switch key {
        case "recoveredAmount", "subsidyAmount", "amount", "amountFen", "paidFen": 0...1_000_000_000_000
        case "size": 0...(1 << 30)
        case "dueDays", "days": 0...366
        default: -(1 << 53)...(1 << 53)
        }
    }
}

/// The media types a scan may have: what the staff pages and a peer will serve back.
public enum DocumentMediaType: String, Sendable, Hashable, CaseIterable, Codable {
    case pdf = "application/pdf"
    case jpeg = "image/jpeg"
    case png = "image/png"
    case tiff = "image/tiff"
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }

    fileprivate var isBase64Character: Bool {
        isASCIILetterOrDigit || self == UInt8(ascii: "+") || self == UInt8(ascii: "/") || self == UInt8(ascii: "=")
    }

    fileprivate var isLowercaseHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }
}

import Foundation

/// A stream of the log, by what it records: the one place stream ids are spelled.
///
/// Every stream id that enters (an imported envelope, a route parameter) is parsed here
/// once. A kind this node does not know (a newer node's) is kept as ``other(_:)`` if it is
/// a plain lowercase slug, so that its events are stored and relayed like any other.
public enum StreamID: Sendable, Hashable, CustomStringConvertible {
    case caseFile(UUID)
    case investigation(UUID)
    case certificate(UUID)
    /// A centre's numbering register (``Numbering/stream(kind:centre:year:)``).
    case register(String)
    /// A centre's lawyer roster (``Roster/stream(of:)``).
    case roster(CentreID)
    /// The delivery receipt of one request sent to a centre (``Delivery/Request/stream``).
    case delivery(centre: CentreID, id: UUID)
    /// A stream of a kind this build does not know: lowercase letters, digits and `-`.
    case other(String)

    /// Stream ids are at most this long.
    public static let maximumLength = 128

    /// Whether `text` has the form every stream id has, whatever its kind: 1 to 128
    /// lowercase ASCII letters, digits and `-`. What the event log itself requires.
    public static func isWellFormed(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumLength
            && text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Parses a stream id; `nil` for anything no node could have written: a known kind
    /// must name a lowercase UUID (or a register), any other kind must be well formed.
    public init?(_ text: String) {
        guard Self.isWellFormed(text), let dash = text.firstIndex(of: "-") else { return nil }
        let prefix = text[..<dash]
        let rest = String(text[text.index(after: dash)...])
        switch prefix {
        case "case", "investigation", "certificate":
            guard rest.utf8.count == 36, let id = UUID(uuidString: rest), id.uuidString.lowercased() == rest else { return nil }
            self = prefix == "case" ? .caseFile(id) : prefix == "investigation" ? .investigation(id) : .certificate(id)
        case "numbering":
            guard Numbering.centre(ofRegister: text) != nil else { return nil }
            self = .register(text)
        case "roster":
            guard let centre = CentreID(rawValue: rest) else { return nil }
            self = .roster(centre)
        case "delivery":
            // `<centre>-<uuid>`: the UUID is the last 36 characters.
            guard rest.utf8.count > 37, let id = UUID(uuidString: String(rest.suffix(36))), id.uuidString.lowercased() == rest.suffix(36),
                  rest.dropLast(36).last == "-", let centre = CentreID(rawValue: String(rest.dropLast(37))) else { return nil }
            self = .delivery(centre: centre, id: id)
        default:
            guard !rest.isEmpty else { return nil }
            self = .other(text)
        }
    }

    /// The id as the log spells it: `case-<uuid>` with the UUID in lowercase.
    public var description: String {
        switch self {
        case .caseFile(let id): "case-\(id.uuidString.lowercased())"
        case .investigation(let id): "investigation-\(id.uuidString.lowercased())"
        case .certificate(let id): "certificate-\(id.uuidString.lowercased())"
        case .register(let text), .other(let text): text
        case .roster(let centre): "roster-\(centre.rawValue)"
        case .delivery(let centre, let id): "delivery-\(centre.rawValue)-\(id.uuidString.lowercased())"
        }
    }

    /// The case's id (lowercase UUID) for a case stream, else `nil`.
    public var caseID: String? {
        if case .caseFile(let id) = self { id.uuidString.lowercased() } else { nil }
    }
}

extension StreamID {
    /// The kinds of record a stream id names by its prefix.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case caseFile = "case"
        case investigation
        case certificate
        case register = "numbering"
        case roster
        case delivery
    }

    /// The kind a stream id names by its prefix, and the rest (the record's id): how the
    /// projections and views read streams this node's own log already holds. Imports are
    /// judged strictly by ``init(_:)`` first.
    public static func kind(of stream: String) -> (kind: Kind, id: String)? {
        guard let dash = stream.firstIndex(of: "-"), let kind = Kind(rawValue: String(stream[..<dash])) else { return nil }
        return (kind, String(stream[stream.index(after: dash)...]))
    }

    /// The stream of the record `id` of `kind`, spelled as ``kind(of:)`` reads it back.
    public static func stream(_ kind: Kind, id: String) -> String {
        "\(kind.rawValue)-\(id)"
    }

    /// The case id of a case stream (`case-<id>`), or `nil` for another kind.
    public static func caseID(ofStream stream: String) -> String? {
        guard let (kind, id) = kind(of: stream), kind == .caseFile else { return nil }
        return id
    }
}

extension StreamID {
    /// Whether `text` is a record's id as streams spell it: a lowercase UUID.
    public static func isRecordID(_ text: String) -> Bool {
        text.utf8.count == 36 && UUID(uuidString: text).map { $0.uuidString.lowercased() == text } == true
    }
}

/// A validated textual id: encoded as its text, decoded only when well-formed.
public protocol Identifier: RawRepresentable<String>, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// How a valid id looks, for error messages.
    static var expectedForm: String { get }
}

extension Identifier {
    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not valid: expected \(Self.expectedForm)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A city's node: `rizhao`, `qingdao`, `weihai`, `weifang`, `yantai`.
public struct NodeID: Identifier {
    public let rawValue: String
    public static let expectedForm = "lowercase letters, digits and '-', starting with a letter"

    /// A node id is lowercase ASCII letters, digits and `-`, starting with a letter.
    public init?(rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    static func isWellFormed(_ text: String) -> Bool {
        guard let first = text.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), text.utf8.count <= 63 else {
            return false
        }
        return text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}

/// A legal-aid centre, `<city>-<place>` such as `rizhao-wulian`; the city is its node.
public struct CentreID: Identifier {
    public let rawValue: String
    public static let expectedForm = "<city>-<place>, e.g. rizhao-wulian"

    /// The node the centre belongs to: the part before the first `-`.
    public let node: NodeID

    public init?(rawValue: String) {
        guard let dash = rawValue.firstIndex(of: "-"),
              rawValue.index(after: dash) != rawValue.endIndex,
              NodeID.isWellFormed(rawValue),
              let node = NodeID(rawValue: String(rawValue[..<dash]))
        else { return nil }
        self.rawValue = rawValue
        self.node = node
    }

}

/// Who recorded an event: a staff member of a centre, or the system itself.
public struct Actor: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The acting centre; `nil` when the system acts (a deadline passing, say).
    public let centre: CentreID?
    /// The staff member's id, or `system`.
    public let staff: String

    public init(centre: CentreID, staff: String) {
        self.centre = centre
        self.staff = staff
    }

    /// The system acting on its own (timers, imports of policy).
    public static let system = Actor(centre: nil, staffOrSystem: "system")

    private init(centre: CentreID?, staffOrSystem: String) {
        self.centre = centre
        self.staff = staffOrSystem
    }

    public var description: String {
        centre.map { "\($0)/\(staff)" } ?? staff
    }

    /// The actor as it appears in a canonical envelope.
    public var jsonValue: JSONValue {
        .object(["centre": centre.map { .string($0.rawValue) } ?? .null, "staff": .string(staff)])
    }

    /// Reads an actor back from its envelope form.
    public init?(jsonValue: JSONValue) {
        guard let staff = jsonValue["staff"]?.stringValue, !staff.isEmpty else { return nil }
        switch jsonValue["centre"] {
        case .null?, nil:
            self.init(centre: nil, staffOrSystem: staff)
        case .string(let text)?:
            guard let centre = CentreID(rawValue: text) else { return nil }
            self.init(centre: centre, staffOrSystem: staff)
        default:
            return nil
        }
    }
}

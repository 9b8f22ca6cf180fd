import CaseDomain
import Foundation

/// Where a matter belongs: the federation's venues (courts, arbitration commissions, police
/// stations, the places a matter arose), each mapped to the centre with jurisdiction. It is
/// kept in the federation file (`directory`), so every node suggests the same centre.
public struct JurisdictionDirectory: Sendable, Hashable {
    /// One venue and the centre a matter there belongs to.
    public struct Venue: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
            case court, arbitration, police, place
        }

        public var name: String
        public var kind: Kind
        public var centre: CentreID
        /// Other names staff type for it (李沧法院 for 青岛市李沧区人民法院).
        public var aliases: [String]?

        public init(name: String, kind: Kind, centre: CentreID, aliases: [String]? = nil) {
            self.name = name
            self.kind = kind
            self.centre = centre
            self.aliases = aliases
        }

        /// The name and the aliases, as matched.
        var names: [String] { [name] + (aliases ?? []) }
    }

    public let venues: [Venue]
    /// Each venue's names, normalised, beside it: computed once, when the file is read.
    private let index: [(names: [String], venue: Venue)]
    /// The venue each normalised name or alias names (names are unique: ``validate(centres:source:)``).
    private let byName: [String: Venue]

    /// The most aliases one venue may have.
    public static let maximumAliases = 20
    /// The most venues a directory may hold: a lookup reads them all (about 100,000 short
    /// comparisons at most).
    public static let maximumVenues = 5_000

    public init(venues: [Venue] = []) {
        self.venues = venues
        self.index = venues.map { venue in (venue.names.map(Self.normalised), venue) }
        self.byName = Dictionary(index.flatMap { entry in entry.names.map { ($0, entry.venue) } }, uniquingKeysWith: { first, _ in first })
    }

    /// What a lookup finds.
    public struct Lookup: Sendable, Hashable {
        /// The venue the text names exactly (by a name or alias), then those it names in part, at most `limit`.
        public var matches: [Venue]
        /// The one centre every venue found names (all of them, not only those listed); `nil`
        /// when none is found or they disagree.
        public var suggestedCentre: CentreID?
        /// Whether the text is a venue's name or alias: only then does the intake form take
        /// the suggestion without asking.
        public var isExact: Bool
    }

    /// The venues `query` names (ignoring spaces, width and case) in one pass: the one
    /// whose name or alias it is, then those whose name it contains or that contain it.
    /// An empty query names none.
    public func lookUp(_ query: String, limit: Int = 20) -> Lookup {
        let wanted = Self.normalised(query)
        guard !wanted.isEmpty else { return Lookup(matches: [], suggestedCentre: nil, isExact: false) }
        if let exact = byName[wanted] {
            let others = index.lazy.filter { $0.venue != exact && $0.names.contains { wanted.contains($0) || $0.contains(wanted) } }
            return Lookup(matches: Array(([exact] + others.map(\.venue)).prefix(limit)), suggestedCentre: exact.centre, isExact: true)
        }
        var matches: [Venue] = []
        var centres: Set<CentreID> = []
        for entry in index where entry.names.contains(where: { wanted.contains($0) || $0.contains(wanted) }) {
            centres.insert(entry.venue.centre)
            if matches.count < limit { matches.append(entry.venue) }
        }
        return Lookup(matches: matches, suggestedCentre: centres.count == 1 ? centres.first : nil, isExact: false)
    }

    /// The directory without the venues of centres outside `nodes` (a federation cut to some cities).
    public func restricted(to nodes: Set<NodeID>) -> JurisdictionDirectory {
        JurisdictionDirectory(venues: venues.filter { nodes.contains($0.centre.node) })
    }

    /// A name as matched: compatibility forms folded (full-width letters and digits),
    /// white space removed, lower case.
    static func normalised(_ text: String) -> String {
        String(text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace })
    }

    func validate(centres: Set<CentreID>, source: String) throws(FederationFileError) {
        guard venues.count <= Self.maximumVenues else {
            throw .invalid(source: source, field: "directory", reason: "lists \(venues.count) venues; at most \(Self.maximumVenues)")
        }
        var seen: [String: Int] = [:]
        for (index, venue) in venues.enumerated() {
            let field = "directory[\(index)]"
            guard centres.contains(venue.centre) else {
                throw .invalid(source: source, field: "\(field).centre", reason: "no centre '\(venue.centre)' in the federation")
            }
            guard (venue.aliases ?? []).count <= Self.maximumAliases else {
                throw .invalid(source: source, field: "\(field).aliases", reason: "at most \(Self.maximumAliases) aliases")
            }
            for (nameIndex, name) in venue.names.enumerated() {
                let nameField = nameIndex == 0 ? "\(field).name" : "\(field).aliases[\(nameIndex - 1)]"
                if let violation = TextRule.short.violation(of: name) { throw .invalid(source: source, field: nameField, reason: violation) }
                let key = Self.normalised(name)
                guard !key.isEmpty else { throw .invalid(source: source, field: nameField, reason: "must not be empty") }
                if let earlier = seen[key], earlier != index {
                    throw .invalid(source: source, field: nameField, reason: "'\(name)' already names directory[\(earlier)]")
                }
                seen[key] = index
            }
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.venues == rhs.venues }
    public func hash(into hasher: inout Hasher) { hasher.combine(venues) }
}

import Foundation

/// A centre's roster of lawyers (律师名册), kept by its supervisors in the centre's own
/// stream (`roster-<centre>`, written by the centre's node alone): whom the centre may
/// assign, their firm, practice areas and languages, and whether they take cases now.
public enum Roster {
    /// One lawyer of the roster.
    public struct Lawyer: Sendable, Hashable, Codable {
        /// A lowercase UUID, given when the lawyer is listed.
        public var lawyerId: String
        public var name: String
        public var firm: String
        public var practiceAreas: [String]
        public var languages: [String]
        public var active: Bool
    }

    /// The roster as its events have made it.
    public struct State: Sendable, Hashable {
        public internal(set) var version: Int64 = 0
        public internal(set) var lawyers: [String: Lawyer] = [:]

        public init() {}

        public init(replaying events: some Sequence<Event>) {
            self = events.reduce(State(), Roster.evolve)
        }

        /// The lawyers by name, then id.
        public var listed: [Lawyer] { lawyers.values.sorted { ($0.name, $0.lawyerId) < ($1.name, $1.lawyerId) } }
    }

    /// What a supervisor does to the roster; the caller gives a new lawyer's id.
    public enum Command: Sendable, Hashable {
        case list(lawyerId: String, name: String, firm: String, practiceAreas: [String], languages: [String])
        /// Changes what is given; `active: false` takes the lawyer off new assignments.
        case update(lawyerId: String, firm: String?, practiceAreas: [String]?, languages: [String]?, active: Bool?)

        public var name: String {
            switch self {
            case .list: "list-lawyer"
            case .update: "update-lawyer"
            }
        }
    }

    /// What happens to a roster. Each case is an event type of schema version 1.
    public enum Event: Sendable, Hashable {
        case listed(Lawyer)
        case updated(Lawyer)

        public var type: String {
            switch self {
            case .listed: "LawyerListed"
            case .updated: "LawyerUpdated"
            }
        }

        public func body() throws -> JSONValue {
            switch self {
            case .listed(let lawyer), .updated(let lawyer): try CanonicalJSON.jsonValue(of: lawyer)
            }
        }

        /// Reads an event back from its type and body; `nil` for an unknown type.
        public init?(type: String, body: JSONValue) throws {
            switch type {
            case "LawyerListed": self = .listed(try CanonicalJSON.decode(Lawyer.self, from: body))
            case "LawyerUpdated": self = .updated(try CanonicalJSON.decode(Lawyer.self, from: body))
            default: return nil
            }
        }
    }

    /// The roster's stream.
    public static func stream(of centre: CentreID) -> String { StreamID.roster(centre).description }

    /// The most lawyers a roster holds, areas and languages a lawyer lists.
    public static let maximumLawyers = 2000
    public static let maximumTags = 20

    /// The events `command` produces on `centre`'s roster, or why it is refused: only a
    /// supervisor of the centre keeps it.
    public static func decide(_ command: Command, on state: State, centre: CentreID, actor: Actor, role: CaseContext.Role) throws(CommandError) -> [Event] {
        let name = command.name
        guard actor.centre == centre, role == .supervisor else {
            throw .forbidden(command: name, reason: "only a supervisor of \(centre) keeps its roster")
        }
        func tags(_ values: [String], _ field: String) throws(CommandError) -> [String] {
            guard values.count <= maximumTags else { throw .validation(field: field, reason: "at most \(maximumTags)") }
            for (index, value) in values.enumerated() { try CommandError.requireText(value, "\(field)[\(index)]") }
            return Array(Set(values)).sorted()
        }
        switch command {
        case .list(let id, let lawyer, let firm, let areas, let languages):
            guard StreamID.isRecordID(id), state.lawyers[id] == nil else { throw .validation(field: "lawyerId", reason: "a new lowercase UUID") }
            guard state.lawyers.count < maximumLawyers else { throw .validation(field: "lawyers", reason: "a roster holds at most \(maximumLawyers)") }
            try CommandError.requireText(lawyer, "name")
            try CommandError.requireText(firm, "firm")
            return [.listed(Lawyer(lawyerId: id, name: lawyer, firm: firm, practiceAreas: try tags(areas, "practiceAreas"),
                                   languages: try tags(languages, "languages"), active: true))]
        case .update(let id, let firm, let areas, let languages, let active):
            guard var lawyer = state.lawyers[id] else { throw .validation(field: "lawyerId", reason: "no lawyer \(id) on the roster of \(centre)") }
            if let firm {
                try CommandError.requireText(firm, "firm")
                lawyer.firm = firm
            }
            if let areas { lawyer.practiceAreas = try tags(areas, "practiceAreas") }
            if let languages { lawyer.languages = try tags(languages, "languages") }
            if let active { lawyer.active = active }
            guard lawyer != state.lawyers[id] else {
                throw .validation(field: "lawyerId", reason: "the change leaves \(lawyer.name) as listed: give firm, practiceAreas, languages or active")
            }
            return [.updated(lawyer)]
        }
    }

    /// The roster after `event`: the only way a roster changes.
    public static func evolve(_ state: State, _ event: Event) -> State {
        var next = state
        next.version += 1
        switch event {
        case .listed(let lawyer), .updated(let lawyer): next.lawyers[lawyer.lawyerId] = lawyer
        }
        return next
    }
}

extension Roster.Event: DomainEvent {}

import Foundation

/// A remote investigation request (异地协作调查): one centre asks another to check facts
/// locally and report. Its own stream; only the requested centre answers it, only the
/// requester acknowledges the findings.
public enum Investigation {
    /// Where a request stands.
    public enum Phase: String, Sendable, Hashable, Codable {
        case new, requested, accepted
        case lawyerAssigned = "lawyer-assigned"
        case reported, acknowledged, declined
    }

    /// A request as its events have made it.
    public struct State: Sendable, Hashable, Codable {
        public internal(set) var phase: Phase = .new
        public internal(set) var version: Int64 = 0
        public internal(set) var caseStream: String?
        public internal(set) var requester: CentreID?
        public internal(set) var target: CentreID?
        public internal(set) var number: String?
        public internal(set) var lawyer: String?
        public internal(set) var reportDueAt: Timestamp?
        public internal(set) var findings: String?
        /// The days the requested centre asked to add to the due date, until the requester
        /// decides; one request at a time.
        public internal(set) var pendingExtensionDays: Int?
        /// The days granted so far and the extensions asked, `nil` in a state stored before
        /// they were counted (read as 0: ``grantedExtensionDays``, ``extensionsAsked``).
        fileprivate var granted: Int?
        fileprivate var asked: Int?

        /// The days extensions granted have added to the due date, in all.
        public var grantedExtensionDays: Int { granted ?? 0 }
        /// The extensions the requested centre has asked for, decided or not.
        public var extensionsAsked: Int { asked ?? 0 }

        public init() {}

        public init(replaying events: some Sequence<Event>) {
            self = events.reduce(State(), Investigation.evolve)
        }
    }

    /// What staff ask of a request. The requester must own the case it names; the caller
    /// checks that against the case stream before deciding.
    public enum Command: Sendable, Hashable {
        /// `shares` names the personal data the requested centre is given besides the request
        /// itself; sharing it with another city needs the applicant's consent or `legalBasis`
        /// (the caller checks that against the case).
        case request(caseStream: String, toCentre: CentreID, questions: [String], dueDays: Int,
                     shares: [PersonalField] = [], legalBasis: String? = nil)
        /// Accept and number the request (per centre and year; the caller allots the number).
        case accept(number: String)
        case decline(reason: String)
        case assignLawyer(lawyer: String, firm: String)
        case report(findings: String, documents: [Document])
        case acknowledge
        /// The requested centre asks for `days` more to report.
        case requestExtension(days: Int, reason: String)
        /// The requester grants or refuses the pending extension. While the request is open
        /// only the requested centre's node writes it (invariant 5), so that node records the
        /// decision (as the system) on `requester`'s behalf, a staff member of the requester.
        case decideExtension(granted: Bool, reason: String, requestedBy: Actor)

        public var name: String {
            switch self {
            case .request: "request-investigation"
            case .accept: "accept-investigation"
            case .decline: "decline-investigation"
            case .assignLawyer: "assign-investigation-lawyer"
            case .report: "report-findings"
            case .acknowledge: "acknowledge-findings"
            case .requestExtension: "request-extension"
            case .decideExtension: "decide-extension"
            }
        }
    }

    /// What happens to a request. Each case is an event type of schema version 1.
    public enum Event: Sendable, Hashable {
        case requested(Requested)
        case accepted(Accepted)
        case declined(Declined)
        case lawyerAssigned(LawyerAssigned)
        case reported(Reported)
        case acknowledged(Acknowledged)
        case extensionRequested(ExtensionRequested)
        case extensionDecided(ExtensionDecided)

        public struct Requested: Sendable, Hashable, Codable {
            public var caseStream: String
            public var fromCentre: CentreID
            public var toCentre: CentreID
            public var questions: [String]
            public var reportDueAt: Timestamp
            /// The personal data shared with the requested centre; `nil` (none) in version 1.
            public var shares: [PersonalField]?
            /// The legal obligation it is shared under, without consent.
            public var legalBasis: String?
        }
        public struct Accepted: Sendable, Hashable, Codable { public var number: String }
        public struct Declined: Sendable, Hashable, Codable { public var reason: String }
        public struct LawyerAssigned: Sendable, Hashable, Codable { public var lawyer: String; public var firm: String }
        public struct Reported: Sendable, Hashable, Codable { public var findings: String; public var documents: [Document] }
        public struct Acknowledged: Sendable, Hashable, Codable { public init() {} }
        public struct ExtensionRequested: Sendable, Hashable, Codable { public var days: Int; public var reason: String }
        /// The requester's staff member who decided; `reportDueAt` is the due date from now on.
        public struct ExtensionDecided: Sendable, Hashable, Codable {
            public var granted: Bool
            public var reason: String
            public var centre: CentreID
            public var staff: String
            public var reportDueAt: Timestamp?
        }

        public var type: String {
            switch self {
            case .requested: "InvestigationRequested"
            case .accepted: "InvestigationAccepted"
            case .declined: "InvestigationDeclined"
            case .lawyerAssigned: "InvestigationLawyerAssigned"
            case .reported: "InvestigationReported"
            case .acknowledged: "InvestigationAcknowledged"
            case .extensionRequested: "InvestigationExtensionRequested"
            case .extensionDecided: "InvestigationExtensionDecided"
            }
        }

        public func body() throws -> JSONValue {
            switch self {
            case .requested(let body): try CanonicalJSON.jsonValue(of: body)
            case .accepted(let body): try CanonicalJSON.jsonValue(of: body)
            case .declined(let body): try CanonicalJSON.jsonValue(of: body)
            case .lawyerAssigned(let body): try CanonicalJSON.jsonValue(of: body)
            case .reported(let body): try CanonicalJSON.jsonValue(of: body)
            case .acknowledged(let body): try CanonicalJSON.jsonValue(of: body)
            case .extensionRequested(let body): try CanonicalJSON.jsonValue(of: body)
            case .extensionDecided(let body): try CanonicalJSON.jsonValue(of: body)
            }
        }

        /// Reads an event back from its type and body; `nil` for an unknown type.
        public init?(type: String, body: JSONValue) throws {
            func decode<Body: Decodable>(_ type: Body.Type) throws -> Body { try CanonicalJSON.decode(type, from: body) }
            switch type {
            case "InvestigationRequested": self = .requested(try decode(Requested.self))
            case "InvestigationAccepted": self = .accepted(try decode(Accepted.self))
            case "InvestigationDeclined": self = .declined(try decode(Declined.self))
            case "InvestigationLawyerAssigned": self = .lawyerAssigned(try decode(LawyerAssigned.self))
            case "InvestigationReported": self = .reported(try decode(Reported.self))
            case "InvestigationAcknowledged": self = .acknowledged(try decode(Acknowledged.self))
            case "InvestigationExtensionRequested": self = .extensionRequested(try decode(ExtensionRequested.self))
            case "InvestigationExtensionDecided": self = .extensionDecided(try decode(ExtensionDecided.self))
            default: return nil
            }
        }
    }

    /// The most days extensions may add to a request's due date, one or all together.
    public static let extensionDays = 60
    /// The most extensions the requested centre may ask for on one request.
    public static let maximumExtensions = 3

    /// The events `command` produces, or why it is refused (nothing is written).
    public static func decide(_ command: Command, on state: State, now: Timestamp, actor: Actor) throws(CommandError) -> [Event] {
        let name = command.name
        func require(_ phase: Phase) throws(CommandError) {
            guard state.phase == phase else {
                throw .invalidTransition(command: name, phase: state.phase.rawValue)
            }
        }
        func requireActor(_ centre: CentreID?, _ who: String) throws(CommandError) {
            guard let centre, actor.centre == centre else { throw .forbidden(command: name, reason: "only \(who) \(centre?.rawValue ?? "-") may do this") }
        }
        switch command {
        case .request(let caseStream, let target, let questions, let dueDays, let shares, let legalBasis):
            try require(.new)
            guard let requester = actor.centre else { throw .forbidden(command: name, reason: "a centre requests an investigation") }
            guard target != requester else { throw .validation(field: "toCentre", reason: "a centre does not ask itself") }
            guard !questions.isEmpty, questions.allSatisfy({ !$0.isEmpty }) else { throw .validation(field: "questions", reason: "ask at least one question") }
            guard (1...90).contains(dueDays) else { throw .validation(field: "dueDays", reason: "between 1 and 90") }
            try CommandError.requireText(caseStream, "caseId")
            let due = now.adding(days: Int64(dueDays))
            guard shares.allSatisfy(PersonalField.shareable.contains) else {
                throw .validation(field: "shares", reason: "only \(PersonalField.shareable.map(\.rawValue).joined(separator: ", ")) may be shared")
            }
            return [.requested(.init(caseStream: caseStream, fromCentre: requester, toCentre: target, questions: questions, reportDueAt: due,
                                     shares: shares.isEmpty ? nil : Array(Set(shares)).sorted(), legalBasis: legalBasis))]
        case .accept(let number):
            try require(.requested)
            try requireActor(state.target, "the requested centre")
            try CommandError.requireText(number, "number")
            return [.accepted(.init(number: number))]
        case .decline(let reason):
            try require(.requested)
            try requireActor(state.target, "the requested centre")
            try CommandError.requireText(reason, "reason")
            return [.declined(.init(reason: reason))]
        case .assignLawyer(let lawyer, let firm):
            try require(.accepted)
            try requireActor(state.target, "the requested centre")
            try CommandError.requireText(lawyer, "lawyer")
            try CommandError.requireText(firm, "firm")
            return [.lawyerAssigned(.init(lawyer: lawyer, firm: firm))]
        case .report(let findings, let documents):
            try require(.lawyerAssigned)
            try requireActor(state.target, "the requested centre")
            try CommandError.requireText(findings, "findings")
            return [.reported(.init(findings: findings, documents: documents))]
        case .acknowledge:
            try require(.reported)
            try requireActor(state.requester, "the requesting centre")
            return [.acknowledged(.init())]
        case .requestExtension(let days, let reason):
            guard [.accepted, .lawyerAssigned].contains(state.phase) else {
                throw .invalidTransition(command: name, phase: state.phase.rawValue)
            }
            try requireActor(state.target, "the requested centre")
            guard state.pendingExtensionDays == nil else {
                throw .forbidden(command: name, reason: "an extension is already waiting for the requester's decision")
            }
            guard state.extensionsAsked < maximumExtensions else {
                throw .forbidden(command: name, reason: "a request may be extended at most \(maximumExtensions) times")
            }
            guard (1...extensionDays).contains(days) else { throw .validation(field: "days", reason: "between 1 and \(extensionDays)") }
            let left = extensionDays - state.grantedExtensionDays
            guard days <= left else {
                throw .validation(field: "days", reason: "at most \(left) more: a request's due date moves by \(extensionDays) days in all, \(state.grantedExtensionDays) granted")
            }
            try CommandError.requireText(reason, "reason")
            return [.extensionRequested(.init(days: days, reason: reason))]
        case .decideExtension(let granted, let reason, let requester):
            guard let days = state.pendingExtensionDays, [.accepted, .lawyerAssigned].contains(state.phase) else {
                throw .invalidTransition(command: name, phase: state.phase.rawValue)
            }
            guard let owner = state.requester, requester.centre == owner else {
                throw .forbidden(command: name, reason: "only the requesting centre \(state.requester?.rawValue ?? "-") decides an extension")
            }
            guard actor.centre == nil else {
                throw .forbidden(command: name, reason: "a decision on an extension is recorded by the requested centre's node, on the requester's behalf")
            }
            try CommandError.requireText(requester.staff, "staff")
            try CommandError.requireText(reason, "reason")
            let due = granted ? state.reportDueAt.map { $0.adding(days: Int64(days)) } : state.reportDueAt
            return [.extensionDecided(.init(granted: granted, reason: reason, centre: owner, staff: requester.staff, reportDueAt: due))]
        }
    }

    /// The request after `event`: the only way a request changes.
    public static func evolve(_ state: State, _ event: Event) -> State {
        var next = state
        next.version += 1
        switch event {
        case .requested(let requested):
            next.phase = .requested
            next.caseStream = requested.caseStream
            next.requester = requested.fromCentre
            next.target = requested.toCentre
            next.reportDueAt = requested.reportDueAt
        case .accepted(let accepted):
            next.phase = .accepted
            next.number = accepted.number
        case .declined:
            next.phase = .declined
            next.reportDueAt = nil
            next.pendingExtensionDays = nil
        case .lawyerAssigned(let assigned):
            next.phase = .lawyerAssigned
            next.lawyer = assigned.lawyer
        case .reported(let reported):
            next.phase = .reported
            next.findings = reported.findings
            next.reportDueAt = nil
            next.pendingExtensionDays = nil
        case .acknowledged:
            next.phase = .acknowledged
        case .extensionRequested(let requested):
            next.pendingExtensionDays = requested.days
            next.asked = state.extensionsAsked == Int.max ? Int.max : state.extensionsAsked + 1
        case .extensionDecided(let decided):
            // Saturating: an imported event's days are a peer's, whatever they say.
            if decided.granted, let days = state.pendingExtensionDays {
                let (sum, overflow) = state.grantedExtensionDays.addingReportingOverflow(days)
                next.granted = overflow ? Int.max : sum
            }
            next.pendingExtensionDays = nil
            next.reportDueAt = decided.reportDueAt
        }
        return next
    }
}

extension Investigation.State {
    /// The node that alone may append the request's next event (invariant 5): the
    /// requested centre's until it has reported, then the requester's (to acknowledge).
    /// `nil` before the request exists, when it may come from the requesting centre's node.
    public var writingNode: NodeID? {
        phase == .reported ? requester?.node : target?.node
    }
}

import CaseDomain
import EventLog
import Foundation

/// The timed steps of the cases and investigations a batch touches: which centre was
/// responsible for what, from when to when, due when. ``apply(_:)`` is all of the logic.
struct StatisticsModel: Sendable, Equatable {
    /// What is timed, as `GET /v1/stats` names it.
    enum Measure: String, Sendable, CaseIterable {
        /// Submitted → assessed, at the intake centre.
        case assess
        /// Transfer requested → accepted, at the receiving centre.
        case acceptTransfer = "accept-transfer"
        /// Materials complete (the decision clock starts) → decided, at the deciding centre.
        case decide
        /// Granted → lawyer assigned.
        case assignLawyer = "assign-lawyer"
        /// Investigation requested → findings reported, at the requested centre.
        case reportInvestigation = "report-investigation"
    }

    struct Interval: Sendable, Equatable {
        var measure: Measure
        var subject: String
        var centre: String
        var startedAt: Timestamp
        /// Never before `startedAt`: see ``clockSkew``.
        var endedAt: Timestamp?
        var dueAt: Timestamp?
        /// The event that ended it was recorded before the one that started it, by a node
        /// whose clock is behind: `endedAt` is clamped to `startedAt` (a duration of 0).
        var clockSkew = false
    }

    /// By interval id: `<measure>/<subject>/<n>`.
    private(set) var intervals: [String: Interval] = [:]
    /// The open interval of each measure and subject, and how many each has had: so that
    /// applying an event costs the same however many intervals a batch holds.
    private var openIntervals: [String: String] = [:]
    private var counts: [String: Int] = [:]

    /// Adds an interval as the table holds it.
    mutating func load(_ id: String, _ interval: Interval) {
        intervals[id] = interval
        let key = "\(interval.measure.rawValue)/\(interval.subject)"
        counts[key, default: 0] += 1
        if interval.endedAt == nil { openIntervals[key] = id }
    }

    /// The subject (case or investigation id) an event is about.
    static func subject(of event: ProjectedEvent) -> String? {
        switch event.domain {
        case .caseEvent(let caseID, _)?: caseID
        case .investigation(let id, _)?: id
        case .certificate?, .delivery?, nil: nil
        }
    }

    mutating func apply(_ projected: ProjectedEvent) {
        let at = projected.envelope.recordedAt
        switch projected.domain {
        case .caseEvent(let subject, let event)?:
            apply(event, case: subject, at: at, by: projected.envelope.actor.centre?.rawValue)
        case .investigation(let subject, let event)?:
            switch event {
            case .requested(let requested):
                open(.reportInvestigation, subject, centre: requested.toCentre.rawValue, at: at, due: requested.reportDueAt)
            case .reported: close(.reportInvestigation, subject, at: at)
            case .declined: drop(.reportInvestigation, subject)
            case .extensionDecided(let decided): moveDue(.reportInvestigation, subject, to: decided.reportDueAt)
            case .accepted, .lawyerAssigned, .acknowledged, .extensionRequested: return
            }
        case .certificate?, .delivery?, nil:
            return
        }
    }

    private mutating func apply(_ event: CaseEvent, case subject: String, at: Timestamp, by centre: String?) {
        switch event {
        case .applicationSubmitted(let submitted):
            open(.assess, subject, centre: submitted.intakeCentre.rawValue, at: at, due: nil)
        case .applicationAssessed(let assessed):
            close(.assess, subject, at: at)
            if let due = assessed.decisionDueAt, let centre { open(.decide, subject, centre: centre, at: at, due: due) }
        case .materialsSupplied(let supplied):
            if let due = supplied.decisionDueAt, let centre { open(.decide, subject, centre: centre, at: at, due: due) }
        case .transferRequested(let transfer):
            drop(.decide, subject)
            open(.acceptTransfer, subject, centre: transfer.toCentre.rawValue, at: at, due: transfer.answerDueAt)
        case .transferAccepted(let accepted):
            close(.acceptTransfer, subject, at: at)
            open(.decide, subject, centre: accepted.centre.rawValue, at: at, due: accepted.decisionDueAt)
        case .transferReturned, .transferCancelled:
            drop(.acceptTransfer, subject)
        case .aidDecided(let decision):
            close(.decide, subject, at: at)
            if let due = decision.lawyerDueAt, let centre { open(.assignLawyer, subject, centre: centre, at: at, due: due) }
        case .lawyerAssigned:
            close(.assignLawyer, subject, at: at)
        case .applicationWithdrawn, .caseClosed:
            for measure in Measure.allCases { drop(measure, subject) }
        case .objectionRuled(let ruling):
            if ruling.aidOrdered, let centre { open(.decide, subject, centre: centre, at: at, due: nil) }
        case .advanceAidStarted, .objectionFiled, .lawyerChanged, .originalsCollected, .caseArchived, .followUpRecorded, .caseErased:
            return
        }
    }

    private mutating func open(_ measure: Measure, _ subject: String, centre: String, at: Timestamp, due: Timestamp?) {
        drop(measure, subject)
        let key = "\(measure.rawValue)/\(subject)"
        let number = counts[key, default: 0] + 1
        counts[key] = number
        let id = "\(key)/\(number)"
        intervals[id] = Interval(measure: measure, subject: subject, centre: centre, startedAt: at, dueAt: due)
        openIntervals[key] = id
    }

    /// Ends the open interval at `at`, or at its start if `at` is before it (another node's
    /// clock): clock skew between nodes is ordinary, never an error.
    private mutating func close(_ measure: Measure, _ subject: String, at: Timestamp) {
        guard let id = openIntervals.removeValue(forKey: "\(measure.rawValue)/\(subject)"), let startedAt = intervals[id]?.startedAt else { return }
        intervals[id]?.endedAt = max(at, startedAt)
        intervals[id]?.clockSkew = at < startedAt
    }

    /// Moves the due date of the open interval (an extension granted): it is late only
    /// against the date in force when it ends.
    private mutating func moveDue(_ measure: Measure, _ subject: String, to due: Timestamp?) {
        guard let id = openIntervals["\(measure.rawValue)/\(subject)"] else { return }
        intervals[id]?.dueAt = due
    }

    /// Forgets an open interval that ended without its step being done (a transfer returned,
    /// a case withdrawn); its number is given to the next one.
    private mutating func drop(_ measure: Measure, _ subject: String) {
        let key = "\(measure.rawValue)/\(subject)"
        if let id = openIntervals.removeValue(forKey: key) {
            intervals[id] = nil
            counts[key, default: 1] -= 1
        }
    }
}

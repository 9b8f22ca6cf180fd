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
        var endedAt: Timestamp?
        var dueAt: Timestamp?
    }

    /// By interval id: `<measure>/<subject>/<n>`.
    var intervals: [String: Interval] = [:]

    /// The subject (case or investigation id) an event's stream is about.
    static func subject(of envelope: EventEnvelope) -> String? {
        for prefix in ["case-", "investigation-"] where envelope.streamId.hasPrefix(prefix) {
            return String(envelope.streamId.dropFirst(prefix.count))
        }
        return nil
    }

    mutating func apply(_ envelope: EventEnvelope) throws {
        guard let subject = Self.subject(of: envelope) else { return }
        let at = envelope.recordedAt
        if envelope.streamId.hasPrefix("case-"), let event = try CaseEvent(type: envelope.type, body: envelope.body) {
            apply(event, case: subject, at: at, by: envelope.actor.centre?.rawValue)
        } else if envelope.streamId.hasPrefix("investigation-"), let event = try Investigation.Event(type: envelope.type, body: envelope.body) {
            switch event {
            case .requested(let requested):
                open(.reportInvestigation, subject, centre: requested.toCentre.rawValue, at: at, due: requested.reportDueAt)
            case .reported: close(.reportInvestigation, subject, at: at)
            case .declined: drop(.reportInvestigation, subject)
            case .accepted, .lawyerAssigned, .acknowledged: return
            }
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
            open(.acceptTransfer, subject, centre: transfer.toCentre.rawValue, at: at, due: nil)
        case .transferAccepted(let accepted):
            close(.acceptTransfer, subject, at: at)
            open(.decide, subject, centre: accepted.centre.rawValue, at: at, due: accepted.decisionDueAt)
        case .transferReturned:
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
        case .advanceAidStarted, .objectionFiled, .lawyerChanged, .originalsCollected, .caseArchived, .followUpRecorded:
            return
        }
    }

    /// The open interval of `measure` for `subject`, if any.
    private func openID(_ measure: Measure, _ subject: String) -> String? {
        intervals.first { $0.value.measure == measure && $0.value.subject == subject && $0.value.endedAt == nil }?.key
    }

    private mutating func open(_ measure: Measure, _ subject: String, centre: String, at: Timestamp, due: Timestamp?) {
        drop(measure, subject)
        let number = intervals.values.filter { $0.measure == measure && $0.subject == subject }.count + 1
        intervals["\(measure.rawValue)/\(subject)/\(number)"] = Interval(measure: measure, subject: subject, centre: centre, startedAt: at, dueAt: due)
    }

    private mutating func close(_ measure: Measure, _ subject: String, at: Timestamp) {
        if let id = openID(measure, subject) { intervals[id]?.endedAt = at }
    }

    /// Forgets an open interval that ended without its step being done (a transfer returned, a case withdrawn).
    private mutating func drop(_ measure: Measure, _ subject: String) {
        if let id = openID(measure, subject) { intervals[id] = nil }
    }
}

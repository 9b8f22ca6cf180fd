import CaseDomain
import EventLog
import Foundation

/// The inbox as values: what the inbox tables hold for the cases and investigations a
/// batch of events touches. ``apply(_:)`` is the whole of the inbox's logic, without I/O.
struct InboxModel: Sendable, Equatable {
    struct Case: Sendable, Equatable {
        var applicant: String
        var idNumber: String
        var urgent: Bool
        var number: String?
        var owner: String
        /// The sealed box of the applicant's name (``SealedBody/box(of:in:schemaVersion:)``).
        var applicantBox: String?
    }

    struct InvestigationRequest: Sendable, Equatable {
        var caseID: String
        var requester: String
        var target: String
        var number: String?
        var reportDueAt: Timestamp?
    }

    struct Item: Sendable, Equatable {
        var centre: String
        var kind: InboxProjection.Kind
        var caseID: String
        var investigationID: String?
        var number: String?
        var applicant: String
        var fromCentre: String?
        var receivedAt: Timestamp
        var dueAt: Timestamp?
        var urgent: Bool
        /// A returned transfer's reason code.
        var reasonCode: String? = nil
        /// An investigation's latest extension: `requested`, `granted` or `refused`.
        var extensionState: String? = nil
    }

    var cases: [String: Case] = [:]
    var investigations: [String: InvestigationRequest] = [:]
    /// By item id: `<kind>/<case or investigation id>`.
    var items: [String: Item] = [:]

    /// The case an event concerns, for loading what the batch touches: the case itself, or
    /// the case an investigation request belongs to (`nil` if not yet known).
    static func caseID(of event: ProjectedEvent) -> String? {
        switch event.domain {
        case .caseEvent(let caseID, _)?: caseID
        case .investigation(_, .requested(let requested))?: StreamID.caseID(ofStream: requested.caseStream) ?? requested.caseStream
        default: nil
        }
    }

    /// The investigation request an event belongs to, if any.
    static func investigationID(of event: ProjectedEvent) -> String? {
        if case .investigation(let id, _)? = event.domain { return id }
        return nil
    }

    mutating func apply(_ event: ProjectedEvent) {
        switch event.domain {
        case .caseEvent(let caseID, let caseEvent)?:
            apply(caseEvent, case: caseID, at: event.envelope.recordedAt)
            if case .applicationSubmitted = caseEvent {
                cases[caseID]?.applicantBox = SealedBody.box(of: .name, in: event.envelope.body, schemaVersion: event.envelope.schemaVersion)
            }
        case .investigation(let id, let investigationEvent)?: apply(investigationEvent, investigation: id, at: event.envelope.recordedAt)
        case .certificate?, .delivery?, nil: return
        }
    }

    private mutating func apply(_ event: CaseEvent, case caseID: String, at time: Timestamp) {
        let owner = cases[caseID]?.owner
        switch event {
        case .applicationSubmitted(let submitted):
            cases[caseID] = Case(applicant: PersonalData.maskName(submitted.applicant.name), idNumber: PersonalData.maskIDNumber(submitted.applicant.idNumber),
                                 urgent: submitted.urgent, owner: submitted.intakeCentre.rawValue)
            add(.review, for: submitted.intakeCentre.rawValue, case: caseID, at: time)
        case .applicationAssessed(let assessed):
            remove([.review], of: caseID)
            guard assessed.eligible, let owner else { return }
            if assessed.missing.isEmpty {
                add(.decide, for: owner, case: caseID, at: time, due: assessed.decisionDueAt)
            } else {
                add(.materialsPending, for: owner, case: caseID, at: time, due: assessed.materialsDueAt)
            }
        case .materialsSupplied(let supplied):
            remove([.materialsPending], of: caseID)
            if let owner { add(.decide, for: owner, case: caseID, at: time, due: supplied.decisionDueAt) }
        case .applicationWithdrawn, .caseClosed, .caseArchived:
            remove(InboxProjection.Kind.allCases, of: caseID)
            // The requester waits for no findings of a case that has ended.
            items = items.filter { $0.value.caseID != caseID || ![.awaitingFindings, .extensionRequest].contains($0.value.kind) }
        case .transferRequested(let transfer):
            remove([.decide, .returnedTransfer], of: caseID)
            add(.incomingTransfer, for: transfer.toCentre.rawValue, case: caseID, at: time, from: transfer.fromCentre.rawValue, due: transfer.answerDueAt)
        case .transferAccepted(let accepted):
            remove([.incomingTransfer], of: caseID)
            cases[caseID]?.owner = accepted.centre.rawValue
            add(.decide, for: accepted.centre.rawValue, case: caseID, at: time, due: accepted.decisionDueAt)
        case .transferReturned(let returned):
            remove([.incomingTransfer], of: caseID)
            if let owner {
                add(.returnedTransfer, for: owner, case: caseID, at: time, from: returned.centre.rawValue)
                items["\(InboxProjection.Kind.returnedTransfer.rawValue)/\(caseID)"]?.reasonCode = returned.reasonCode?.rawValue
            }
        case .transferCancelled:
            // The sender keeps the case: it decides it or sends it elsewhere.
            remove([.incomingTransfer], of: caseID)
            if let owner { add(.decide, for: owner, case: caseID, at: time) }
        case .aidDecided(let decision):
            remove([.decide, .returnedTransfer], of: caseID)
            if let number = decision.number {
                cases[caseID]?.number = number
                for kind in InboxProjection.Kind.allCases { items["\(kind.rawValue)/\(caseID)"]?.number = number }
            }
            if let due = decision.lawyerDueAt, let owner { add(.assignLawyer, for: owner, case: caseID, at: time, due: due) }
        case .objectionRuled(let ruling):
            if ruling.aidOrdered, let owner { add(.decide, for: owner, case: caseID, at: time) }
        case .lawyerAssigned:
            remove([.assignLawyer], of: caseID)
        case .advanceAidStarted, .objectionFiled, .lawyerChanged, .originalsCollected, .followUpRecorded, .caseErased:
            return
        }
    }

    private mutating func apply(_ event: Investigation.Event, investigation id: String, at time: Timestamp) {
        switch event {
        case .requested(let requested):
            let caseID = StreamID.caseID(ofStream: requested.caseStream) ?? requested.caseStream
            investigations[id] = InvestigationRequest(caseID: caseID, requester: requested.fromCentre.rawValue, target: requested.toCentre.rawValue,
                                                      reportDueAt: requested.reportDueAt)
            addForInvestigation(id, .incomingInvestigation, toTarget: true, at: time, due: requested.reportDueAt)
            addForInvestigation(id, .awaitingFindings, toTarget: false, at: time, due: requested.reportDueAt)
        case .accepted(let accepted):
            remove([.incomingInvestigation], of: id)
            investigations[id]?.number = accepted.number
            items["\(InboxProjection.Kind.awaitingFindings.rawValue)/\(id)"]?.number = accepted.number
            addForInvestigation(id, .investigationToReport, toTarget: true, at: time, due: investigations[id]?.reportDueAt)
        case .declined:
            remove([.incomingInvestigation, .awaitingFindings], of: id)
        case .reported:
            remove([.investigationToReport, .awaitingFindings, .extensionRequest], of: id)
            addForInvestigation(id, .investigationFindings, toTarget: false, at: time, due: nil)
        case .acknowledged:
            remove([.investigationFindings], of: id)
        case .extensionRequested:
            // The requester decides before the date in force runs out.
            addForInvestigation(id, .extensionRequest, toTarget: false, at: time, due: investigations[id]?.reportDueAt)
            markExtension(of: id, "requested", due: nil)
        case .extensionDecided(let decided):
            remove([.extensionRequest], of: id)
            investigations[id]?.reportDueAt = decided.reportDueAt
            markExtension(of: id, decided.granted ? "granted" : "refused", due: decided.reportDueAt)
        case .lawyerAssigned:
            return
        }
    }

    /// Shows an extension's state on both ends' items of the open request and, once decided,
    /// the due date in force.
    private mutating func markExtension(of id: String, _ state: String, due: Timestamp?) {
        for kind in [InboxProjection.Kind.investigationToReport, .awaitingFindings] {
            let itemID = "\(kind.rawValue)/\(id)"
            items[itemID]?.extensionState = state
            if let due { items[itemID]?.dueAt = due }
        }
    }

    private mutating func add(_ kind: InboxProjection.Kind, for centre: String, case caseID: String, at time: Timestamp,
                              from fromCentre: String? = nil, due: Timestamp? = nil) {
        let known = cases[caseID]
        items["\(kind.rawValue)/\(caseID)"] = Item(centre: centre, kind: kind, caseID: caseID, number: known?.number,
                                                   applicant: known?.applicant ?? "", fromCentre: fromCentre, receivedAt: time,
                                                   dueAt: due, urgent: known?.urgent ?? false)
    }

    /// An investigation's item for its target (`toTarget`) or its requester; it shows the
    /// request's own number (none until accepted).
    private mutating func addForInvestigation(_ id: String, _ kind: InboxProjection.Kind, toTarget: Bool, at time: Timestamp, due: Timestamp?) {
        guard let request = investigations[id] else { return }
        let known = cases[request.caseID]
        items["\(kind.rawValue)/\(id)"] = Item(
            centre: toTarget ? request.target : request.requester, kind: kind, caseID: request.caseID, investigationID: id,
            number: request.number, applicant: known?.applicant ?? "", fromCentre: toTarget ? request.requester : request.target,
            receivedAt: time, dueAt: due, urgent: known?.urgent ?? false)
    }

    /// Removes the items of `kinds` of a record: a case, or an investigation request.
    private mutating func remove(_ kinds: [InboxProjection.Kind], of record: String) {
        for kind in kinds { items["\(kind.rawValue)/\(record)"] = nil }
    }
}

import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// Each centre's open work, from the case and investigation events: an item appears when
/// an event puts work on a centre and leaves when the event that answers it is projected.
public struct InboxProjection: Projection {
    /// The kinds of work item, as `GET /v1/inbox` names them.
    public enum Kind: String, Sendable, CaseIterable {
        case review
        case incomingTransfer = "incoming-transfer"
        case decide
        case assignLawyer = "assign-lawyer"
        case materialsPending = "materials-pending"
        case incomingInvestigation = "incoming-investigation"
        case investigationToReport = "investigation-to-report"
        case investigationFindings = "investigation-findings"
        case returnedTransfer = "returned-transfer"
    }

    public let name = "inbox"
    public let tables = ["inbox_cases", "inbox_investigations", "inbox_items"]

    public init() {}

    public func apply(_ event: RecordedEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let envelope = event.envelope
        let writer = ItemWriter(connection: connection, logger: logger, at: envelope.recordedAt.date)
        if envelope.streamId.hasPrefix("case-"), let caseEvent = try CaseEvent(type: envelope.type, body: envelope.body) {
            try await apply(caseEvent, case: String(envelope.streamId.dropFirst("case-".count)), writer)
        } else if envelope.streamId.hasPrefix("investigation-"), let investigationEvent = try Investigation.Event(type: envelope.type, body: envelope.body) {
            try await apply(investigationEvent, investigation: String(envelope.streamId.dropFirst("investigation-".count)), writer)
        }
    }

    private func apply(_ event: CaseEvent, case caseID: String, _ writer: ItemWriter) async throws {
        switch event {
        case .applicationSubmitted(let submitted):
            try await writer.registerCase(caseID, submitted)
            try await writer.add(.review, for: submitted.intakeCentre.rawValue, case: caseID)
        case .applicationAssessed(let assessed):
            try await writer.remove([.review], case: caseID)
            guard assessed.eligible, let owner = try await writer.owner(of: caseID) else { return }
            if assessed.missing.isEmpty {
                try await writer.add(.decide, for: owner, case: caseID, due: assessed.decisionDueAt)
            } else {
                try await writer.add(.materialsPending, for: owner, case: caseID, due: assessed.materialsDueAt)
            }
        case .materialsSupplied(let supplied):
            try await writer.remove([.materialsPending], case: caseID)
            if let owner = try await writer.owner(of: caseID) { try await writer.add(.decide, for: owner, case: caseID, due: supplied.decisionDueAt) }
        case .applicationWithdrawn, .caseClosed, .caseArchived:
            try await writer.remove(Kind.allCases, case: caseID)
        case .transferRequested(let transfer):
            try await writer.remove([.decide, .returnedTransfer], case: caseID)
            try await writer.add(.incomingTransfer, for: transfer.toCentre.rawValue, case: caseID, from: transfer.fromCentre.rawValue)
        case .transferAccepted(let accepted):
            try await writer.remove([.incomingTransfer], case: caseID)
            try await writer.setOwner(of: caseID, to: accepted.centre.rawValue)
            try await writer.add(.decide, for: accepted.centre.rawValue, case: caseID, due: accepted.decisionDueAt)
        case .transferReturned(let returned):
            try await writer.remove([.incomingTransfer], case: caseID)
            if let owner = try await writer.owner(of: caseID) {
                try await writer.add(.returnedTransfer, for: owner, case: caseID, from: returned.centre.rawValue)
            }
        case .aidDecided(let decision):
            try await writer.remove([.decide, .returnedTransfer], case: caseID)
            if let number = decision.number { try await writer.setNumber(of: caseID, to: number) }
            if let due = decision.lawyerDueAt, let owner = try await writer.owner(of: caseID) {
                try await writer.add(.assignLawyer, for: owner, case: caseID, due: due)
            }
        case .objectionRuled(let ruling):
            if ruling.aidOrdered, let owner = try await writer.owner(of: caseID) { try await writer.add(.decide, for: owner, case: caseID) }
        case .lawyerAssigned:
            try await writer.remove([.assignLawyer], case: caseID)
        case .advanceAidStarted, .objectionFiled, .lawyerChanged, .originalsCollected, .followUpRecorded:
            return
        }
    }

    private func apply(_ event: Investigation.Event, investigation id: String, _ writer: ItemWriter) async throws {
        switch event {
        case .requested(let requested):
            let caseID = String(requested.caseStream.dropFirst("case-".count))
            try await writer.registerInvestigation(id, case: caseID, requested)
            try await writer.add(.incomingInvestigation, for: requested.toCentre.rawValue, case: caseID, investigation: id,
                                 from: requested.fromCentre.rawValue, due: requested.reportDueAt)
        case .accepted(let accepted):
            try await writer.remove(.incomingInvestigation, investigation: id)
            try await writer.setNumber(ofInvestigation: id, to: accepted.number)
            try await writer.addForInvestigation(id, kind: .investigationToReport, toTarget: true)
        case .declined:
            try await writer.remove(.incomingInvestigation, investigation: id)
        case .reported:
            try await writer.remove(.investigationToReport, investigation: id)
            try await writer.addForInvestigation(id, kind: .investigationFindings, toTarget: false)
        case .acknowledged:
            try await writer.remove(.investigationFindings, investigation: id)
        case .lawyerAssigned:
            return
        }
    }
}

/// The inbox tables' statements, within the projector's transaction.
private struct ItemWriter {
    let connection: PostgresConnection
    let logger: Logger
    /// The event's recordedAt: when an item it creates was received.
    let at: Date

    func registerCase(_ caseID: String, _ submitted: CaseEvent.ApplicationSubmitted) async throws {
        let applicant = PersonalData.maskName(submitted.applicant.name)
        let idNumber = PersonalData.maskIDNumber(submitted.applicant.idNumber)
        _ = try await connection.query("""
            INSERT INTO inbox_cases (case_id, applicant, id_number, urgent, owner)
            VALUES (\(caseID), \(applicant), \(idNumber), \(submitted.urgent), \(submitted.intakeCentre.rawValue))
            """, logger: logger)
    }

    func registerInvestigation(_ id: String, case caseID: String, _ requested: Investigation.Event.Requested) async throws {
        _ = try await connection.query("""
            INSERT INTO inbox_investigations (investigation_id, case_id, requester, target, report_due_at)
            VALUES (\(id), \(caseID), \(requested.fromCentre.rawValue), \(requested.toCentre.rawValue), \(requested.reportDueAt.date))
            """, logger: logger)
    }

    func owner(of caseID: String) async throws -> String? {
        let rows = try await connection.query("SELECT owner FROM inbox_cases WHERE case_id = \(caseID)", logger: logger)
        for try await owner in rows.decode(String.self) { return owner }
        return nil
    }

    func setOwner(of caseID: String, to owner: String) async throws {
        _ = try await connection.query("UPDATE inbox_cases SET owner = \(owner) WHERE case_id = \(caseID)", logger: logger)
    }

    func setNumber(of caseID: String, to number: String) async throws {
        _ = try await connection.query("UPDATE inbox_cases SET number = \(number) WHERE case_id = \(caseID)", logger: logger)
        _ = try await connection.query("UPDATE inbox_items SET number = \(number) WHERE case_id = \(caseID) AND investigation_id IS NULL", logger: logger)
    }

    func setNumber(ofInvestigation id: String, to number: String) async throws {
        _ = try await connection.query("UPDATE inbox_investigations SET number = \(number) WHERE investigation_id = \(id)", logger: logger)
    }

    /// Adds (or replaces) a case's item for `centre`, showing what the inbox shows of the case.
    func add(_ kind: InboxProjection.Kind, for centre: String, case caseID: String, investigation: String? = nil,
             from fromCentre: String? = nil, due: Timestamp? = nil) async throws {
        let itemID = "\(kind.rawValue)/\(investigation ?? caseID)"
        // A case's item shows the case number; an investigation's shows its own, once accepted.
        let showsCaseNumber = investigation == nil
        _ = try await connection.query("""
            INSERT INTO inbox_items (item_id, centre, kind, case_id, investigation_id, number, applicant, from_centre, received_at, due_at, urgent)
            SELECT \(itemID), \(centre), \(kind.rawValue), \(caseID), \(investigation),
                   CASE WHEN \(showsCaseNumber) THEN c.number END,
                   coalesce(c.applicant, ''), \(fromCentre), \(at), \(due?.date), coalesce(c.urgent, false)
              FROM (SELECT 1) AS one LEFT JOIN inbox_cases c ON c.case_id = \(caseID)
            ON CONFLICT (item_id) DO UPDATE SET centre = excluded.centre, number = excluded.number, from_centre = excluded.from_centre,
                   received_at = excluded.received_at, due_at = excluded.due_at
            """, logger: logger)
    }

    /// Adds an investigation's item for its target (`toTarget`) or its requester.
    func addForInvestigation(_ id: String, kind: InboxProjection.Kind, toTarget: Bool) async throws {
        let itemID = "\(kind.rawValue)/\(id)"
        _ = try await connection.query("""
            INSERT INTO inbox_items (item_id, centre, kind, case_id, investigation_id, number, applicant, from_centre, received_at, due_at, urgent)
            SELECT \(itemID), CASE WHEN \(toTarget) THEN i.target ELSE i.requester END, \(kind.rawValue), i.case_id, i.investigation_id,
                   i.number, coalesce(c.applicant, ''), CASE WHEN \(toTarget) THEN i.requester ELSE i.target END, \(at),
                   CASE WHEN \(toTarget) THEN i.report_due_at END, coalesce(c.urgent, false)
              FROM inbox_investigations i LEFT JOIN inbox_cases c ON c.case_id = i.case_id
             WHERE i.investigation_id = \(id)
            ON CONFLICT (item_id) DO NOTHING
            """, logger: logger)
    }

    func remove(_ kinds: [InboxProjection.Kind], case caseID: String) async throws {
        _ = try await connection.query("""
            DELETE FROM inbox_items WHERE case_id = \(caseID) AND investigation_id IS NULL AND kind = ANY(\(kinds.map(\.rawValue)))
            """, logger: logger)
    }

    func remove(_ kind: InboxProjection.Kind, investigation id: String) async throws {
        _ = try await connection.query("DELETE FROM inbox_items WHERE investigation_id = \(id) AND kind = \(kind.rawValue)", logger: logger)
    }
}

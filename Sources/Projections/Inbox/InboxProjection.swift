import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// Each centre's open work, from the case and investigation events: an item appears when
/// an event puts work on a centre and leaves when the event that answers it is projected.
/// A batch is applied set-wise: the rows of the cases it touches are loaded, the events
/// are applied to them in memory (``InboxModel``), and the rows are written back.
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
        /// The requester's view of an open investigation request, until findings come.
        case awaitingFindings = "awaiting-findings"
        /// The requested centre asked for more time: the requester grants or refuses.
        case extensionRequest = "extension-request"
    }

    public let name = "inbox"
    public let tables = ["inbox_cases", "inbox_investigations", "inbox_items"]

    public init() {}

    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        let store = InboxTables(connection: connection, logger: logger)
        let opened = batch.openedRecords
        let requestIDs = Set(batch.compactMap(InboxModel.investigationID(of:)))
        let storedRequests = Array(requestIDs.subtracting(opened))
        var model = InboxModel()
        model.investigations = try await store.investigations(storedRequests)
        let caseIDs = Set(batch.compactMap(InboxModel.caseID(of:))).union(model.investigations.values.map(\.caseID))
        guard !caseIDs.isEmpty || !requestIDs.isEmpty else { return }
        let storedCases = Array(caseIDs.subtracting(opened))
        model.cases = try await store.cases(storedCases)
        model.items = try await store.items(ofCases: storedCases)
        for event in batch { model.apply(event) }
        try await store.replace(cases: storedCases, investigations: storedRequests, with: model)
    }
}

/// The inbox tables, read and written a batch at a time.
private struct InboxTables {
    let connection: PostgresConnection
    let logger: Logger

    /// Nullable text and times travel in arrays as sentinels: '' and `Int64.min`.
    private static let noTime = Int64.min

    func cases(_ ids: [String]) async throws -> [String: InboxModel.Case] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT case_id, applicant, id_number, urgent, number, owner, applicant_box FROM inbox_cases WHERE case_id = ANY(\(ids))
            """, logger: logger)
        var cases: [String: InboxModel.Case] = [:]
        for try await (id, applicant, idNumber, urgent, number, owner, box) in rows.decode((String, String, String, Bool, String?, String, String?).self) {
            cases[id] = .init(applicant: applicant, idNumber: idNumber, urgent: urgent, number: number, owner: owner, applicantBox: box)
        }
        return cases
    }

    func investigations(_ ids: [String]) async throws -> [String: InboxModel.InvestigationRequest] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT investigation_id, case_id, requester, target, number, (extract(epoch FROM report_due_at) * 1000)::bigint
              FROM inbox_investigations WHERE investigation_id = ANY(\(ids))
            """, logger: logger)
        var requests: [String: InboxModel.InvestigationRequest] = [:]
        for try await (id, caseID, requester, target, number, due) in rows.decode((String, String, String, String, String?, Int64?).self) {
            requests[id] = .init(caseID: caseID, requester: requester, target: target, number: number,
                                 reportDueAt: due.map(Timestamp.init(millisecondsSinceEpoch:)))
        }
        return requests
    }

    func items(ofCases ids: [String]) async throws -> [String: InboxModel.Item] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT item_id, centre, kind, case_id, investigation_id, number, applicant, from_centre,
                   (extract(epoch FROM received_at) * 1000)::bigint, (extract(epoch FROM due_at) * 1000)::bigint, urgent, reason_code,
                   extension_state
              FROM inbox_items WHERE case_id = ANY(\(ids))
            """, logger: logger)
        var items: [String: InboxModel.Item] = [:]
        for try await (id, centre, kind, caseID, investigationID, number, applicant, fromCentre, received, due, urgent, reasonCode, extensionState)
            in rows.decode((String, String, String, String, String?, String?, String, String?, Int64, Int64?, Bool, String?, String?).self) {
            guard let kind = InboxProjection.Kind(rawValue: kind) else { continue }
            items[id] = .init(centre: centre, kind: kind, caseID: caseID, investigationID: investigationID, number: number, applicant: applicant,
                              fromCentre: fromCentre, receivedAt: Timestamp(millisecondsSinceEpoch: received),
                              dueAt: due.map(Timestamp.init(millisecondsSinceEpoch:)), urgent: urgent, reasonCode: reasonCode,
                              extensionState: extensionState)
        }
        return items
    }

    /// Replaces the stored rows of `cases` (their case rows and items) and of `investigations`
    /// with all of the model's.
    func replace(cases caseIDs: [String], investigations requestIDs: [String], with model: InboxModel) async throws {
        if !caseIDs.isEmpty {
            _ = try await connection.query("DELETE FROM inbox_items WHERE case_id = ANY(\(caseIDs))", logger: logger)
            _ = try await connection.query("DELETE FROM inbox_cases WHERE case_id = ANY(\(caseIDs))", logger: logger)
        }
        if !requestIDs.isEmpty {
            _ = try await connection.query("DELETE FROM inbox_investigations WHERE investigation_id = ANY(\(requestIDs))", logger: logger)
        }

        let cases = model.cases.sorted { $0.key < $1.key }
        if !cases.isEmpty {
            _ = try await connection.query("""
                INSERT INTO inbox_cases (case_id, applicant, id_number, urgent, number, owner, applicant_box)
                SELECT id, applicant, id_number, urgent, nullif(number, ''), owner, nullif(box, '')
                  FROM unnest(\(cases.map(\.key)), \(cases.map(\.value.applicant)), \(cases.map(\.value.idNumber)),
                              \(cases.map(\.value.urgent)), \(cases.map { $0.value.number ?? "" }), \(cases.map(\.value.owner)),
                              \(cases.map { $0.value.applicantBox ?? "" }))
                       AS c(id, applicant, id_number, urgent, number, owner, box)
                """, logger: logger)
        }
        let requests = model.investigations.sorted { $0.key < $1.key }
        if !requests.isEmpty {
            _ = try await connection.query("""
                INSERT INTO inbox_investigations (investigation_id, case_id, requester, target, number, report_due_at)
                SELECT id, case_id, requester, target, nullif(number, ''),
                       CASE WHEN due = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + due * interval '1 millisecond' END
                  FROM unnest(\(requests.map(\.key)), \(requests.map(\.value.caseID)), \(requests.map(\.value.requester)),
                              \(requests.map(\.value.target)), \(requests.map { $0.value.number ?? "" }),
                              \(requests.map { $0.value.reportDueAt?.millisecondsSinceEpoch ?? Self.noTime }))
                       AS r(id, case_id, requester, target, number, due)
                """, logger: logger)
        }
        let items = model.items.sorted { $0.key < $1.key }
        if !items.isEmpty {
            _ = try await connection.query("""
                INSERT INTO inbox_items (item_id, centre, kind, case_id, investigation_id, number, applicant, from_centre, received_at, due_at, urgent,
                                         reason_code, extension_state)
                SELECT id, centre, kind, case_id, nullif(investigation_id, ''), nullif(number, ''), applicant, nullif(from_centre, ''),
                       'epoch'::timestamptz + received * interval '1 millisecond',
                       CASE WHEN due = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + due * interval '1 millisecond' END, urgent,
                       nullif(reason_code, ''), nullif(extension_state, '')
                  FROM unnest(\(items.map(\.key)), \(items.map(\.value.centre)), \(items.map(\.value.kind.rawValue)), \(items.map(\.value.caseID)),
                              \(items.map { $0.value.investigationID ?? "" }), \(items.map { $0.value.number ?? "" }), \(items.map(\.value.applicant)),
                              \(items.map { $0.value.fromCentre ?? "" }), \(items.map(\.value.receivedAt.millisecondsSinceEpoch)),
                              \(items.map { $0.value.dueAt?.millisecondsSinceEpoch ?? Self.noTime }), \(items.map(\.value.urgent)),
                              \(items.map { $0.value.reasonCode ?? "" }), \(items.map { $0.value.extensionState ?? "" }))
                       AS i(id, centre, kind, case_id, investigation_id, number, applicant, from_centre, received, due, urgent, reason_code,
                            extension_state)
                """, logger: logger)
        }
    }
}

import CaseDomain
import Foundation
import Logging
import PostgresNIO

/// Every read of personal data in plain text, recorded in this node's own store (table
/// `access_log`): who read what of which record, and why. Written before the answer leaves,
/// so a read that could not be recorded is not answered.
public struct AccessLog: Sendable {
    /// The kinds of record a read can be of.
    public enum RecordKind: String, Sendable, Codable {
        case caseFile = "case"
        case investigation
        case document
        case certificate
    }

    /// One recorded read.
    public struct Entry: Sendable, Codable, Hashable {
        /// When, by this node's clock.
        public var at: Timestamp
        /// Who read, at which centre, in which role.
        public var staff: String
        public var centre: CentreID
        public var role: String
        /// What was read: `case`, `investigation`, `document` or `certificate`, its id, and
        /// the case it belongs to.
        public var recordKind: String
        public var recordId: String
        public var caseId: String?
        /// Why: the view that read it (`case-view`, `timeline`, `case-page`, …).
        public var purpose: String
        /// The personal fields read in plain text (`scan` for a document's bytes).
        public var fields: [String]
    }

    package let client: PostgresClient
    package let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records that `staff` read `fields` of a record in plain text for `purpose`; nothing
    /// when no field was read.
    package func record(_ staff: StaffMember, kind: RecordKind, record: String, caseID: String?, purpose: String,
                fields: Set<PersonalField>) async throws {
        try await self.record(staff, kind: kind, record: record, caseID: caseID, purpose: purpose, fields: fields.map(\.rawValue).sorted())
    }

    /// Records a read of what `fields` names (`scan` for a document's bytes).
    package func record(_ staff: StaffMember, kind: RecordKind, record: String, caseID: String?, purpose: String, fields: [String]) async throws {
        guard !fields.isEmpty else { return }
        _ = try await client.query("""
            INSERT INTO access_log (staff, centre, role, record_kind, record_id, case_id, purpose, fields)
            VALUES (\(staff.staff), \(staff.centre.rawValue), \(staff.role.rawValue), \(kind.rawValue), \(record), \(caseID),
                    \(purpose), \(fields))
            """, logger: logger)
    }

    /// The reads of `record` (a case's id also finds the reads of its investigations and
    /// documents), oldest first, at most `limit`.
    public func entries(record: String, limit: Int = 1000) async throws -> [Entry] {
        try await entries(record: record, limit: limit, newestFirst: false)
    }

    /// The newest `limit` reads of `record`, newest first: what the case page shows.
    package func newest(record: String, limit: Int) async throws -> [Entry] {
        try await entries(record: record, limit: limit, newestFirst: true)
    }

    private func entries(record: String, limit: Int, newestFirst: Bool) async throws -> [Entry] {
        let direction = newestFirst ? "DESC" : "ASC"
        let rows = try await client.query("""
            SELECT (extract(epoch FROM at) * 1000)::bigint, staff, centre, role, record_kind, record_id, case_id, purpose, fields
              FROM access_log WHERE record_id = \(record) OR case_id = \(record) ORDER BY access_id \(unescaped: direction) LIMIT \(limit)
            """, logger: logger)
        var entries: [Entry] = []
        for try await (at, staff, centre, role, kind, id, caseID, purpose, fields) in rows.decode(
            (Int64, String, String, String, String, String, String?, String, [String]).self) {
            guard let centre = CentreID(rawValue: centre) else { continue }
            entries.append(Entry(at: Timestamp(millisecondsSinceEpoch: at), staff: staff, centre: centre, role: role, recordKind: kind,
                                 recordId: id, caseId: caseID, purpose: purpose, fields: fields))
        }
        return entries
    }
}

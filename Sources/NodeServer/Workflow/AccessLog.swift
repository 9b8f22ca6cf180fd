import CaseDomain
import Foundation
import Logging
import PostgresNIO

/// Every read of personal data in plain text, recorded in this node's own store (table
/// `access_log`): who read what of which record, and why. Written before the answer leaves,
/// so a read that could not be recorded is not answered.
struct AccessLog: Sendable {
    /// The kinds of record a read can be of.
    enum RecordKind: String, Sendable, Codable {
        case caseFile = "case"
        case investigation
        case document
        case certificate
    }

    /// One recorded read.
    struct Entry: Sendable, Codable, Hashable {
        var at: Timestamp
        var staff: String
        var centre: CentreID
        var role: String
        var recordKind: String
        var recordId: String
        var caseId: String?
        var purpose: String
        var fields: [String]
    }

    let client: PostgresClient
    let logger: Logger

    /// Records that `staff` read `fields` of a record in plain text for `purpose`; nothing
    /// when no field was read.
    func record(_ staff: StaffClaims, kind: RecordKind, record: String, caseID: String?, purpose: String,
                fields: Set<PersonalField>) async throws {
        guard !fields.isEmpty else { return }
        _ = try await client.query("""
            INSERT INTO access_log (staff, centre, role, record_kind, record_id, case_id, purpose, fields)
            VALUES (\(staff.staff), \(staff.centre.rawValue), \(staff.role.rawValue), \(kind.rawValue), \(record), \(caseID),
                    \(purpose), \(fields.map(\.rawValue).sorted()))
            """, logger: logger)
    }

    /// The reads of `record` (a case's id also finds the reads of its investigations and
    /// documents), oldest first, at most `limit`.
    func entries(record: String, limit: Int = 1000) async throws -> [Entry] {
        let rows = try await client.query("""
            SELECT (extract(epoch FROM at) * 1000)::bigint, staff, centre, role, record_kind, record_id, case_id, purpose, fields
              FROM access_log WHERE record_id = \(record) OR case_id = \(record) ORDER BY access_id LIMIT \(limit)
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

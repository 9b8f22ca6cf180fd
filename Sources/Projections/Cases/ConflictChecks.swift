import CaseDomain
import Logging
import PostgresNIO

/// The conflict and duplicate check of a case, from the case view: every node projects
/// every case's parties by their blind indexes, so any node finds, without an ID number,
/// the other open cases of the same applicant anywhere in the federation, the cases in which
/// this matter's adverse party was aided, and those in which this applicant is the adverse
/// party of someone aided.
public struct ConflictChecks: Sendable {
    /// Another case the check found.
    public struct Finding: Sendable, Hashable, Encodable {
        public enum Kind: String, Sendable, Hashable, Encodable {
            /// An open case of the same applicant.
            case duplicateApplication = "duplicate-application"
            /// This matter's adverse party applied and was granted aid there.
            case adversePartyAided = "adverse-party-aided"
            /// There, aid was granted against this applicant.
            case applicantIsAdverseParty = "applicant-is-adverse-party"
        }

        public var kind: Kind
        public var caseId: String
        /// The centre that handles it now.
        public var centre: CentreID?
        public var number: String?
        public var phase: String
    }

    private let client: PostgresClient
    private let logger: Logger

    /// The most findings of each kind a check reports.
    public static let limit = 20

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.conflict-checks")) {
        self.client = client
        self.logger = logger
    }

    /// The findings for `record` (read through ``CaseRecords``, so the view is current);
    /// none for a case recorded before the check, which carries no indexes.
    public func findings(for record: CaseRecord) async throws -> [Finding] {
        guard let parties = record.parties else { return [] }
        var findings = try await cases(.duplicateApplication, of: record.caseID, where: "applicant_index", is: parties.applicant,
                                       condition: "phase NOT IN ('closed', 'archived', 'withdrawn', 'refused')")
        if let adverse = parties.adverseParty {
            findings += try await cases(.adversePartyAided, of: record.caseID, where: "applicant_index", is: adverse, condition: "number IS NOT NULL")
        }
        findings += try await cases(.applicantIsAdverseParty, of: record.caseID, where: "adverse_index", is: parties.applicant, condition: "number IS NOT NULL")
        return findings
    }

    /// The other cases whose `column` is `index` and that meet `condition` (fixed SQL of this file).
    private func cases(_ kind: Finding.Kind, of caseID: String, where column: String, is index: String, condition: String) async throws -> [Finding] {
        var binds = PostgresBindings()
        binds.append(index)
        binds.append(caseID)
        let sql = """
            SELECT case_id, owner, number, phase FROM projections.case_views
             WHERE \(column) = $1 AND case_id <> $2 AND \(condition) ORDER BY case_id LIMIT \(Self.limit)
            """
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var found: [Finding] = []
        for try await (id, owner, number, phase) in rows.decode((String, String?, String?, String).self) {
            found.append(Finding(kind: kind, caseId: id, centre: owner.flatMap(CentreID.init(rawValue:)), number: number, phase: phase))
        }
        return found
    }
}

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
    /// none for a case recorded before the check, which carries no indexes, or erased.
    ///
    /// The indexes are keyed with the federation's matching key; a federation without one
    /// gives each node its own (``BlindIndex/local(signingKey:)``), and the check then finds
    /// only this node's cases. An erased case's indexes leave the view, though the log keeps
    /// them: whoever holds the matching key can still link them to a person's ID number.
    public func findings(for record: CaseRecord) async throws -> [Finding] {
        guard let parties = record.parties else { return [] }
        var findings = try await cases(.duplicateApplication, Self.openCasesOfApplicant, parties.applicantIndex, record.caseID)
        if let adverse = parties.adversePartyIndex {
            findings += try await cases(.adversePartyAided, Self.aidedCasesOfApplicant, adverse, record.caseID)
        }
        findings += try await cases(.applicantIsAdverseParty, Self.aidedCasesAgainst, parties.applicantIndex, record.caseID)
        return findings
    }

    /// The other open cases of an applicant: `$1` the applicant's index, `$2` this case.
    static let openCasesOfApplicant = """
        SELECT case_id, owner, number, phase FROM projections.case_views
         WHERE applicant_index = $1 AND case_id <> $2 AND phase NOT IN ('closed', 'archived', 'withdrawn', 'refused')
         ORDER BY case_id LIMIT \(limit)
        """
    /// The cases in which an applicant was granted aid (numbered).
    static let aidedCasesOfApplicant = """
        SELECT case_id, owner, number, phase FROM projections.case_views
         WHERE applicant_index = $1 AND case_id <> $2 AND number IS NOT NULL ORDER BY case_id LIMIT \(limit)
        """
    /// The aided cases whose adverse party is `$1`.
    static let aidedCasesAgainst = """
        SELECT case_id, owner, number, phase FROM projections.case_views
         WHERE adverse_index = $1 AND case_id <> $2 AND number IS NOT NULL ORDER BY case_id LIMIT \(limit)
        """

    private func cases(_ kind: Finding.Kind, _ sql: String, _ index: String, _ caseID: String) async throws -> [Finding] {
        var binds = PostgresBindings()
        binds.append(index)
        binds.append(caseID)
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var found: [Finding] = []
        for try await (id, owner, number, phase) in rows.decode((String, String?, String?, String).self) {
            found.append(Finding(kind: kind, caseId: id, centre: owner.flatMap(CentreID.init(rawValue:)), number: number, phase: phase))
        }
        return found
    }
}

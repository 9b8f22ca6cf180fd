import CaseDomain
import Projections

/// What a transfer's acceptance and a grant wait on: the conflict and duplicate check of
/// the case (``ConflictChecks``). With findings, or when the check cannot run, the centre
/// goes ahead only with a reason, which the event records.
package struct ConflictGate: Sendable {
    package let cases: CaseRecords
    package let checks: ConflictChecks

    /// The case as this node's view holds it, and its findings; a view too far behind or
    /// with a parked event is thrown as such (``ProjectionBehind``, ``CaseViewParked``).
    package func findings(of caseID: String) async throws -> (record: CaseRecord?, findings: [ConflictChecks.Finding]) {
        guard let record = try await cases.record(caseID.lowercased()) else { return (nil, []) }
        return (record, try await checks.findings(for: record))
    }

    /// Who may see a case's findings: the centre handling it, the target of its pending
    /// transfer, auditors. A centre asked only to investigate learns nothing of other cases.
    package static func mayRead(_ record: CaseRecord, _ staff: StaffMember) -> Bool {
        staff.role == .auditor || record.state.owner == staff.centre
            || (record.state.phase == .transferPending && record.state.transferTarget == staff.centre)
    }

    /// Whether `command` waits on the check: accepting a transfer or granting aid.
    package static func isGated(_ command: CaseCommand) -> Bool {
        switch command {
        case .acceptTransfer, .decide(true, _): true
        default: false
        }
    }

    /// The reason to record for a gated command the domain would take: `given` when the
    /// check finds other cases or cannot run now (refused without one, saying which), none
    /// when it finds nothing.
    package func reason(for caseID: String, given: String?) async throws -> String? {
        let why: String
        do {
            let found = try await findings(of: caseID).findings
            guard !found.isEmpty else { return nil }
            let named = found.prefix(5).map { "\($0.kind.rawValue) \($0.caseId) at \($0.centre?.rawValue ?? "-")" }.joined(separator: "; ")
            why = "the conflict check found \(found.count) other case(s) (\(named))"
        } catch let behind as ProjectionBehind {
            why = "the conflict check cannot run now (\(behind.description))"
        } catch let parked as CaseViewParked {
            why = "the conflict check cannot run now (\(parked.description))"
        }
        guard let given, !given.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw WorkflowError.invalid(field: "conflictReason", reason: "\(why): give conflictReason to go ahead")
        }
        return given
    }

    package init(cases: CaseRecords, checks: ConflictChecks) {
        self.cases = cases
        self.checks = checks
    }
}

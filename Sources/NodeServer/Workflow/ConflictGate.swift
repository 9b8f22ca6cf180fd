import CaseDomain
import Projections

/// What a transfer's acceptance and a decision wait on: the conflict and duplicate check
/// of the case (``ConflictChecks``). With findings, the centre goes ahead only with a reason,
/// which the event records.
struct ConflictGate: Sendable {
    let cases: CaseRecords
    let checks: ConflictChecks

    /// The case's findings as this node's view holds them; none for a case it lacks.
    func findings(of caseID: String) async throws -> (record: CaseRecord?, findings: [ConflictChecks.Finding]) {
        do {
            guard let record = try await cases.record(caseID.lowercased()) else { return (nil, []) }
            return (record, try await checks.findings(for: record))
        } catch let behind as ProjectionBehind {
            throw Problem(.unavailable, "the conflict check cannot run: \(behind.description)")
        } catch let parked as CaseViewParked {
            throw Problem(.unavailable, "the conflict check cannot run: \(parked.description)")
        }
    }

    /// The reason to record for `command` on the case: `given` when the check finds other
    /// cases (refused without one, naming them), none otherwise.
    func reason(for caseID: String, _ command: CaseCommand, given: String?) async throws -> String? {
        switch command {
        case .acceptTransfer, .decide: break
        default: return nil
        }
        let found = try await findings(of: caseID).findings
        guard !found.isEmpty else { return nil }
        guard let given, !given.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            let named = found.prefix(5).map { "\($0.kind.rawValue) \($0.caseId) at \($0.centre?.rawValue ?? "-")" }.joined(separator: "; ")
            throw Problem.invalid("conflictReason", "the conflict check found \(found.count) other case(s) (\(named)): give conflictReason to go ahead")
        }
        return given
    }
}

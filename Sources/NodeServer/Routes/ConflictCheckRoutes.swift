import CaseDomain
import Hummingbird
import Projections

/// `GET /v1/cases/{id}/checks`: the conflict and duplicate check of a case, for the
/// centres that take part in it (and auditors): each finding names the other case and the
/// centre that handles it, never a person.
struct ConflictCheckRoutes {
    let gate: ConflictGate

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("cases/{id}/checks") { _, context in
            let staff = try context.requireStaff()
            let caseID = try context.parameters.require("id")
            _ = try Workflow.caseStream(caseID)
            let (record, findings) = try await gate.findings(of: caseID)
            _ = try Views.readable(record, caseID, by: staff)
            return JSONResponse(Checks(caseId: caseID.lowercased(), checked: record?.parties != nil, findings: findings))
        }
    }

    struct Checks: Encodable, Sendable {
        var caseId: String
        /// Whether the case carries its parties' indexes; one recorded before the check does not.
        var checked: Bool
        var findings: [ConflictChecks.Finding]
    }
}

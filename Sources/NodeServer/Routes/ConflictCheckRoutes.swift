import CaseDomain
import Casework
import Hummingbird
import Projections

/// `GET /v1/cases/{id}/checks`: the conflict and duplicate check of a case, for the
/// centres that take part in it (and auditors): each finding names the other case and the
/// centre that handles it, never a person.
struct ConflictCheckRoutes {
    let gate: ConflictGate
    let views: Views
    /// Whether the federation file gives a matching key: without one each node indexes
    /// with its own, and the check finds only this node's cases.
    let federationWide: Bool

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("cases/{id}/checks") { _, context in
            let staff = try context.requireStaff()
            let caseID = try context.parameters.require("id")
            _ = try Workflow.caseStream(caseID)
            let (record, findings) = try await views.fromProjection(for: staff) { try await gate.findings(of: caseID) }
            let readable = try Views.readable(record, caseID, by: staff)
            guard ConflictGate.mayRead(readable, staff) else {
                throw Problem(.forbidden, "only the centre handling case \(caseID) (or the target of its pending transfer) sees its conflict check")
            }
            return JSONResponse(Checks(caseId: caseID.lowercased(), checked: readable.parties != nil,
                                       scope: federationWide ? "federation" : "node", findings: findings))
        }
    }

    struct Checks: Encodable, Sendable {
        var caseId: String
        /// Whether the case carries its parties' indexes; one recorded before the check does not.
        var checked: Bool
        /// `federation`: every node's cases were matched; `node`: this node's only (no matching key).
        var scope: String
        var findings: [ConflictChecks.Finding]
    }
}

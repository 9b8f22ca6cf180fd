import CaseDomain
import Casework
import Hummingbird

/// A pending transfer's cancellation: `POST /v1/cases/{id}/transfer/cancel` for the sending
/// centre's staff, and `POST /v1/sync/transfer-cancellations`, where the sending node asks
/// the target's node to record it.
struct TransferCancelRoutes {
    let cancellation: TransferCancellation

    struct Cancel: Decodable { var expectedVersion: Int64; var reason: String }

    /// The staff route, on the staff API group.
    func addStaffRoute(to group: RouterGroup<NodeRequestContext>) {
        group.post(RouterPath(CaseCommand.Kind.cancelTransfer.route)) { request, context in
            let input = try await request.decodeJSON(as: Cancel.self, context: context)
            let result = try await cancellation.cancel(try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                                       reason: input.reason, by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "caseId"))
        }
    }

    /// The node route, on the node-signed sync group: the sender speaks for its own centres only.
    func addNodeRoute(to group: RouterGroup<NodeRequestContext>) {
        group.post("transfer-cancellations") { request, context in
            guard context.peer != nil else { throw Problem(.unauthorized, "cancellations come from nodes only") }
            let message = try await request.decodeJSON(as: TransferCancellation.Message.self, context: context)
            _ = try context.peer(speakingFor: message.centre, "cancellations")
            let result = try await cancellation.workflow.recordCancellation(
                of: message.caseId, expectedVersion: message.expectedVersion, reason: message.reason,
                requestedBy: Actor(centre: message.centre, staff: message.staff), receivingCentres: cancellation.servedCentres)
            return JSONResponse(result.json(idKey: "caseId"))
        }
    }
}

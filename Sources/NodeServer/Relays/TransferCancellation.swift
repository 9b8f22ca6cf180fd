import CaseDomain
import Casework
import Federation

/// The sending centre cancels a pending transfer. While a transfer is pending only the
/// target's node may write the case (invariant 5), so the cancel is asked of that node,
/// which records it (``Workflow/recordCancellation(of:expectedVersion:reason:requestedBy:receivingCentres:)``)
/// or says what answered the transfer first: a cancel and an accept racing on two nodes
/// are ordered by one appender, and the loser is told which happened.
struct TransferCancellation: Sendable {
    let workflow: Workflow
    /// The centres this node serves: a transfer to one of them is cancelled here.
    let servedCentres: Set<CentreID>
    /// Asks the target's node to record the cancellation.
    let relay: WriterRelay

    /// Cancels for the sending centre of `staff`: refused here when this node can tell
    /// (``Workflow/prepareCancellation(of:expectedVersion:reason:by:)``), else recorded by
    /// the target's node, this one or a peer.
    func cancel(_ caseID: String, expectedVersion: Int64, reason: String, by staff: StaffMember) async throws -> WriteResult {
        let prepared = try await workflow.prepareCancellation(of: caseID, expectedVersion: expectedVersion, reason: reason, by: staff)
        if servedCentres.contains(prepared.writer) {
            return try await workflow.recordCancellation(of: caseID, expectedVersion: expectedVersion, reason: reason, requestedBy: prepared.requester,
                                                         receivingCentres: servedCentres)
        }
        let message = Message(caseId: caseID.lowercased(), expectedVersion: expectedVersion, reason: reason, centre: prepared.centre,
                              staff: prepared.requester.staff)
        return try await relay.ask(prepared.writer.node, Message.path, message, recordID: caseID, waiting: "the transfer is pending")
    }

    /// What the sending node asks of the target's: node-signed, so `centre` is one of the
    /// sender's own (the target checks), and `staff` is who asked there.
    struct Message: Codable, Sendable {
        static let path = "/v1/sync/transfer-cancellations"
        var caseId: String
        var expectedVersion: Int64
        var reason: String
        var centre: CentreID
        var staff: String
    }
}

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

    func cancel(_ caseID: String, expectedVersion: Int64, reason: String, by staff: StaffMember) async throws -> WriteResult {
        try Workflow.requireVersion(expectedVersion)
        let requester = try Workflow.writer(staff)
        let loaded = try await workflow.store.load(try Workflow.caseStream(caseID), as: CaseEvent.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no case \(caseID)") }
        if let answered = Workflow.transferAnswered(in: loaded, after: expectedVersion, to: requester.centre) { throw answered }
        let state = CaseState(replaying: loaded.events)
        let name = CaseCommand.cancelTransfer(reason: reason, requestedBy: requester).name
        // A stranger to the case is refused as such, before it learns the case's phase.
        let sentByRequester = loaded.events.contains { if case .transferRequested(let sent) = $0 { sent.fromCentre == requester.centre } else { false } }
        guard let centre = requester.centre, state.owner == centre || sentByRequester else {
            throw Problem(CommandError.forbidden(command: name, reason: "only the centre that sent a transfer may cancel it"))
        }
        guard state.phase == .transferPending, let target = state.transferTarget else {
            throw Problem(CommandError.invalidTransition(command: name, phase: state.phase.rawValue))
        }
        // Decided here as the target's node will decide it, so that what this node can tell
        // (the sender's rights, a reason the value rules refuse) is never asked of the target.
        let context = CaseContext(now: workflow.clock.now(), actor: .system, policies: workflow.policies)
        let events = try Workflow.decided { () throws(CommandError) in
            try CaseLifecycle.decide(.cancelTransfer(reason: reason, requestedBy: requester), on: state, context: context)
        }
        for event in events { _ = try StreamStore.checkedBody(of: event) }
        if servedCentres.contains(target) {
            return try await workflow.recordCancellation(of: caseID, expectedVersion: expectedVersion, reason: reason, requestedBy: requester,
                                                         receivingCentres: servedCentres)
        }
        let message = Message(caseId: caseID.lowercased(), expectedVersion: expectedVersion, reason: reason, centre: centre, staff: requester.staff)
        return try await relay.ask(target.node, Message.path, message, recordID: caseID, waiting: "the transfer is pending")
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

import CaseDomain
import Federation
import Foundation
import NIOCore

/// The sending centre cancels a pending transfer. While a transfer is pending only the
/// target's node may write the case (invariant 5), so the cancel is asked of that node,
/// which records it (``Workflow/recordCancellation(of:expectedVersion:reason:requestedBy:receivingCentres:)``)
/// or says what answered the transfer first: a cancel and an accept racing on two nodes
/// are ordered by one appender, and the loser is told which happened.
struct TransferCancellation: Sendable {
    let workflow: Workflow
    /// The centres this node serves: a transfer to one of them is cancelled here.
    let servedCentres: Set<CentreID>
    /// How other nodes are reached; `nil` on a node that does not sync.
    let peers: PeerClient?
    /// Pulls the recorded cancellation from the target's node at once.
    let syncWorker: SyncWorker?

    /// The most a target node's answer to a cancellation may hold.
    static let maximumAnswerBytes = 64 * 1024

    func cancel(_ caseID: String, expectedVersion: Int64, reason: String, by staff: StaffClaims) async throws -> WriteResult {
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
        guard let peers, let peer = peers.nodes[target.node] else {
            throw Problem(.unavailable, "this node does not reach \(target.node), where the transfer is pending: it cannot be cancelled from here")
        }
        let message = Message(caseId: caseID.lowercased(), expectedVersion: expectedVersion, reason: reason, centre: centre, staff: requester.staff)
        let answer: (status: UInt, contentType: String?, body: ByteBuffer)
        do {
            answer = try await peers.send("POST", Message.path, to: peer, body: Data(try CanonicalJSON.encode(encodable: message)),
                                          limit: Self.maximumAnswerBytes)
        } catch {
            throw Problem(.unavailable, "\(target.node), where the transfer is pending, could not be reached (\(error)): the transfer stays pending; retry shortly")
        }
        await syncWorker?.wake(from: target.node)
        return try Self.result(of: answer.status, Array(answer.body.readableBytesView), from: target.node, caseID: caseID)
    }

    /// The target node's answer, read as hostile input: a version, or its refusal relayed
    /// under its own kind (one of ``relayedKinds``, with its own status) with the node
    /// named; anything else is the node's failure.
    static func result(of status: UInt, _ bytes: [UInt8], from node: NodeID, caseID: String) throws -> WriteResult {
        let body = try? CanonicalJSON.decode(bytes)
        if status == 200, let version = body?["version"]?.integerValue, version > 0 {
            return WriteResult(id: caseID, version: version)
        }
        let slug = body?["type"]?.stringValue.flatMap { $0.hasPrefix(Problem.typeBase) ? String($0.dropFirst(Problem.typeBase.count)) : nil }
        guard let kind = slug.flatMap(Problem.Kind.init(rawValue:)), Self.relayedKinds.contains(kind), UInt(kind.status.code) == status,
              let detail = body?["detail"]?.stringValue else {
            throw Problem(.unavailable, "\(node), where the transfer is pending, answered the cancellation with status \(status): retry shortly")
        }
        // The case this node shows has not reached the target's node yet: a matter of sync.
        guard kind != .notFound else {
            throw Problem(.unavailable, "\(node) has not received case \(caseID) yet, so the transfer cannot be cancelled there: retry shortly")
        }
        throw Problem(kind, "\(node): \(detail.prefix(1000))", errors: fieldErrors(in: body?["errors"]),
                      currentVersion: body?["currentVersion"]?.integerValue)
    }

    /// The refusals of the target node that are the staff member's to act on: the case's
    /// state, rights or input. Anything else (a refused node signature, the target's own
    /// failure) is this node's trouble reaching it, answered as unavailable.
    static let relayedKinds: Set<Problem.Kind> = [.conflict, .invalidTransition, .forbidden, .validation, .notFound, .malformed, .payloadTooLarge]

    /// A relayed problem's field errors, at most 20, each text bounded.
    private static func fieldErrors(in listed: JSONValue?) -> [Problem.FieldError] {
        guard case .array(let errors)? = listed else { return [] }
        return errors.prefix(20).compactMap { error in
            guard let field = error["field"]?.stringValue, let reason = error["reason"]?.stringValue else { return nil }
            return Problem.FieldError(field: String(field.prefix(200)), reason: String(reason.prefix(500)))
        }
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

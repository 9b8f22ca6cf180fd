import CaseDomain
import EventLog

/// Commands on a record another node may be writing: a pending transfer's cancellation
/// (the target's node writes the case) and a decision on an extension (the requested
/// centre's node writes the request). Each is first decided here, as the writing node will
/// decide it, so that whatever this node can tell (a stranger, a stale version, the phase,
/// a reason the value rules refuse) is never asked of that node; the caller then has it
/// recorded here or asks the writing node.
extension Workflow {
    /// Who asked a relayed command and which centre's node records it.
    package struct Relayed: Sendable, Hashable {
        /// The staff member who asked, of their centre.
        package var requester: Actor
        package var centre: CentreID
        /// The centre whose node writes the record now.
        package var writer: CentreID
    }

    /// Decides the cancellation of `caseID`'s pending transfer for the sending centre of `staff`.
    package func prepareCancellation(of caseID: String, expectedVersion: Int64, reason: String, by staff: StaffMember) async throws -> Relayed {
        try Self.requireVersion(expectedVersion)
        let requester = try Self.writer(staff)
        let loaded = try await store.load(try Self.caseStream(caseID), as: CaseEvent.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no case \(caseID)") }
        if let answered = Self.transferAnswered(in: loaded, after: expectedVersion, to: requester.centre) { throw answered }
        let state = CaseState(replaying: loaded.events)
        let command = CaseCommand.cancelTransfer(reason: reason, requestedBy: requester)
        // A stranger to the case is refused as such, before it learns the case's phase.
        let sentByRequester = loaded.events.contains { if case .transferRequested(let sent) = $0 { sent.fromCentre == requester.centre } else { false } }
        guard let centre = requester.centre, state.owner == centre || sentByRequester else {
            throw WorkflowError.refused(.forbidden(command: command.name, reason: "only the centre that sent a transfer may cancel it"))
        }
        guard state.phase == .transferPending, let target = state.transferTarget else {
            throw WorkflowError.refused(.invalidTransition(command: command.name, phase: state.phase.rawValue))
        }
        let context = CaseContext(now: clock.now(), actor: .system, policies: policies)
        let events = try Self.decided { () throws(CommandError) in try CaseLifecycle.decide(command, on: state, context: context) }
        for event in events { _ = try StreamStore.checkedBody(of: event) }
        return Relayed(requester: requester, centre: centre, writer: target)
    }

    /// Decides the pending extension of `investigationID` for the requesting centre of `staff`.
    package func prepareExtensionDecision(on investigationID: String, expectedVersion: Int64, granted: Bool, reason: String,
                                          by staff: StaffMember) async throws -> Relayed {
        let requester = try Self.writer(staff)
        let loaded = try await store.load(try Self.investigationStream(investigationID), as: Investigation.Event.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no investigation request \(investigationID)") }
        let state = Investigation.State(replaying: loaded.events)
        let command = Investigation.Command.decideExtension(granted: granted, reason: reason, requestedBy: requester)
        // A stranger to the request is refused as such, before it learns whether one is pending.
        guard let centre = requester.centre, state.requester == centre, let target = state.target else {
            throw WorkflowError.refused(.forbidden(command: command.name, reason: "only the requesting centre decides an extension"))
        }
        try Self.check(expectedVersion, against: loaded.version)
        let events = try Self.decided { () throws(CommandError) in try Investigation.decide(command, on: state, now: clock.now(), actor: .system) }
        for event in events { _ = try StreamStore.checkedBody(of: event) }
        return Relayed(requester: requester, centre: centre, writer: target)
    }

    /// Records on this node, the requested centre's, the requester's decision on a pending
    /// extension: this node alone writes the open request (invariant 5).
    /// - Parameters:
    ///   - servedCentres: the centres this node serves; the request's target must be one.
    ///   - requester: the requesting centre's staff member who decided (checked by the domain).
    package func recordExtensionDecision(on investigationID: String, expectedVersion: Int64, granted: Bool, reason: String,
                                         requestedBy requester: Actor, servedCentres: Set<CentreID>) async throws -> WriteResult {
        let stream = try Self.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no investigation request \(investigationID)") }
        try Self.check(expectedVersion, against: loaded.version)
        let state = Investigation.State(replaying: loaded.events)
        guard let target = state.target, servedCentres.contains(target) else {
            throw WorkflowError.forbidden("investigation request \(investigationID) is answered by \(state.target?.rawValue ?? "-"), which this node does not serve")
        }
        let command = Investigation.Command.decideExtension(granted: granted, reason: reason, requestedBy: requester)
        let events = try Self.decided { () throws(CommandError) in try Investigation.decide(command, on: state, now: clock.now(), actor: .system) }
        let record = state.caseStream.flatMap(StreamID.caseID(ofStream:)) ?? investigationID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: .system, record: record, keys: keys)])
        return WriteResult(id: investigationID, version: outcome[0].streamVersion)
    }
}

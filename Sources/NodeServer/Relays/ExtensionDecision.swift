import CaseDomain
import Casework

/// The requesting centre grants or refuses an extension the requested centre asked for.
/// While the request is open only the requested centre's node writes it (invariant 5), so
/// the decision is asked of that node, which records it
/// (``Workflow/recordExtensionDecision(on:expectedVersion:granted:reason:requestedBy:servedCentres:)``):
/// a decision racing the findings is ordered by that node's appender.
struct ExtensionDecision: Sendable {
    let workflow: Workflow
    /// The centres this node serves: a request to one of them is decided here.
    let servedCentres: Set<CentreID>
    /// Asks the requested centre's node to record the decision.
    let relay: WriterRelay

    /// Decides the pending extension for the requesting centre of `staff`: refused here when
    /// this node can tell (a stranger, a stale version, nothing pending, a reason the value
    /// rules refuse), else recorded by the requested centre's node, this one or a peer.
    func decide(_ investigationID: String, expectedVersion: Int64, granted: Bool, reason: String, by staff: StaffMember) async throws -> WriteResult {
        let requester = try Workflow.writer(staff)
        let loaded = try await workflow.store.load(try Workflow.investigationStream(investigationID), as: Investigation.Event.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no investigation request \(investigationID)") }
        let state = Investigation.State(replaying: loaded.events)
        let command = Investigation.Command.decideExtension(granted: granted, reason: reason, requestedBy: requester)
        // A stranger to the request is refused as such, before it learns whether one is pending.
        guard let centre = requester.centre, state.requester == centre, let target = state.target else {
            throw Problem(CommandError.forbidden(command: command.name, reason: "only the requesting centre decides an extension"))
        }
        try Workflow.check(expectedVersion, against: loaded.version)
        // Decided here as the requested centre's node will decide it, so that what this node
        // can tell (the phase, a reason the value rules refuse) is never asked of that node.
        let events = try Workflow.decided { () throws(CommandError) in
            try Investigation.decide(command, on: state, now: workflow.clock.now(), actor: .system)
        }
        for event in events { _ = try StreamStore.checkedBody(of: event) }
        if servedCentres.contains(target) {
            return try await workflow.recordExtensionDecision(on: investigationID, expectedVersion: expectedVersion, granted: granted, reason: reason,
                                                              requestedBy: requester, servedCentres: servedCentres)
        }
        let message = Message(investigationId: investigationID.lowercased(), expectedVersion: expectedVersion, granted: granted, reason: reason,
                              centre: centre, staff: requester.staff)
        return try await relay.ask(target.node, Message.path, message, recordID: investigationID, waiting: "the investigation request is open")
    }

    /// What the requesting node asks of the requested centre's: node-signed, so `centre` is
    /// one of the requester's own (the receiving node checks), and `staff` is who decided.
    struct Message: Codable, Sendable {
        static let path = "/v1/sync/extension-decisions"
        var investigationId: String
        var expectedVersion: Int64
        var granted: Bool
        var reason: String
        var centre: CentreID
        var staff: String
    }
}

extension Workflow {
    /// Records on this node, the requested centre's, the requester's decision on a pending
    /// extension: this node alone writes the open request (invariant 5).
    /// - Parameters:
    ///   - servedCentres: the centres this node serves; the request's target must be one.
    ///   - requester: the requesting centre's staff member who decided (checked by the domain).
    func recordExtensionDecision(on investigationID: String, expectedVersion: Int64, granted: Bool, reason: String,
                                 requestedBy requester: Actor, servedCentres: Set<CentreID>) async throws -> WriteResult {
        let stream = try Self.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no investigation request \(investigationID)") }
        try Self.check(expectedVersion, against: loaded.version)
        let state = Investigation.State(replaying: loaded.events)
        guard let target = state.target, servedCentres.contains(target) else {
            throw Problem(.forbidden, "investigation request \(investigationID) is answered by \(state.target?.rawValue ?? "-"), which this node does not serve")
        }
        let command = Investigation.Command.decideExtension(granted: granted, reason: reason, requestedBy: requester)
        let events = try Self.decided { () throws(CommandError) in try Investigation.decide(command, on: state, now: clock.now(), actor: .system) }
        let record = state.caseStream.flatMap(StreamID.caseID(ofStream:)) ?? investigationID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: .system, record: record, keys: keys)])
        return WriteResult(id: investigationID, version: outcome[0].streamVersion)
    }
}

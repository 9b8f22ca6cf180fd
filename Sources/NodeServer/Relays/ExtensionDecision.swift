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
    /// this node can tell (``Workflow/prepareExtensionDecision(on:expectedVersion:granted:reason:by:)``),
    /// else recorded by the requested centre's node, this one or a peer.
    func decide(_ investigationID: String, expectedVersion: Int64, granted: Bool, reason: String, by staff: StaffMember) async throws -> WriteResult {
        let prepared = try await workflow.prepareExtensionDecision(on: investigationID, expectedVersion: expectedVersion, granted: granted,
                                                                   reason: reason, by: staff)
        if servedCentres.contains(prepared.writer) {
            return try await workflow.recordExtensionDecision(on: investigationID, expectedVersion: expectedVersion, granted: granted, reason: reason,
                                                              requestedBy: prepared.requester, servedCentres: servedCentres)
        }
        let message = Message(investigationId: investigationID.lowercased(), expectedVersion: expectedVersion, granted: granted, reason: reason,
                              centre: prepared.centre, staff: prepared.requester.staff)
        return try await relay.ask(prepared.writer.node, Message.path, message, recordID: investigationID, waiting: "the investigation request is open")
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

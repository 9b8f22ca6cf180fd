import CaseDomain
import Casework
import Hummingbird

/// `/v1/investigations/{id}`: the requested centre accepts (and numbers), declines,
/// assigns a local lawyer, asks for more time and reports; the requester decides on the
/// extension and acknowledges.
struct InvestigationRoutes {
    let workflow: Workflow
    let views: Views
    let extensionDecision: ExtensionDecision

    struct Versioned: Decodable, HasExpectedVersion { var expectedVersion: Int64 }
    struct Reasoned: Decodable, HasExpectedVersion { var expectedVersion: Int64; var reason: String }
    struct Assignment: Decodable, HasExpectedVersion { var expectedVersion: Int64; var lawyer: String; var firm: String }
    struct Report: Decodable, HasExpectedVersion { var expectedVersion: Int64; var findings: String; var documents: [Document]? }
    /// The contract names `days` and `reason`; `expectedVersion` is checked when given.
    struct Extension: Decodable { var days: Int; var reason: String; var expectedVersion: Int64? }
    struct ExtensionVerdict: Decodable { var granted: Bool; var reason: String; var expectedVersion: Int64 }

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("investigations/{id}") { _, context in
            JSONResponse(try await views.investigationView(try context.parameters.require("id"), for: try context.requireStaff()))
        }
        // The number is allotted by the workflow; the placeholder is replaced.
        command("accept", Versioned.self, group) { _ in .accept(number: "") }
        command("decline", Reasoned.self, group) { .decline(reason: $0.reason) }
        command("assign", Assignment.self, group) { .assignLawyer(lawyer: $0.lawyer, firm: $0.firm) }
        command("report", Report.self, group) { .report(findings: $0.findings, documents: $0.documents ?? []) }
        command("acknowledge", Versioned.self, group) { _ in .acknowledge }
        group.post("investigations/{id}/extension") { request, context in
            let input = try await request.decodeJSON(as: Extension.self, context: context)
            let result = try await workflow.act(onInvestigation: try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                                .requestExtension(days: input.days, reason: input.reason), by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "investigationId"))
        }
        group.post("investigations/{id}/extension/decision") { request, context in
            let input = try await request.decodeJSON(as: ExtensionVerdict.self, context: context)
            let result = try await extensionDecision.decide(try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                                            granted: input.granted, reason: input.reason, by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "investigationId"))
        }
    }

    /// The node route, on the node-signed sync group: the requester speaks for its own centres only.
    func addNodeRoute(to group: RouterGroup<NodeRequestContext>) {
        group.post("extension-decisions") { request, context in
            guard context.peer != nil else { throw Problem(.unauthorized, "extension decisions come from nodes only") }
            let message = try await request.decodeJSON(as: ExtensionDecision.Message.self, context: context)
            _ = try context.peer(speakingFor: message.centre, "extension decisions")
            let result = try await workflow.recordExtensionDecision(
                on: message.investigationId, expectedVersion: message.expectedVersion, granted: message.granted, reason: message.reason,
                requestedBy: Actor(centre: message.centre, staff: message.staff), servedCentres: extensionDecision.servedCentres)
            return JSONResponse(result.json(idKey: "investigationId"))
        }
    }

    private func command<Input: Decodable & Sendable & HasExpectedVersion>(
        _ action: String, _: Input.Type, _ group: RouterGroup<NodeRequestContext>,
        _ makeCommand: @escaping @Sendable (Input) -> Investigation.Command
    ) {
        group.post("investigations/{id}/\(action)") { request, context in
            let input = try await request.decodeJSON(as: Input.self, context: context)
            let result = try await workflow.act(onInvestigation: try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                                makeCommand(input), by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "investigationId"))
        }
    }
}

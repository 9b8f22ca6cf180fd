import CaseDomain
import Hummingbird

/// `/v1/investigations/{id}`: the requested centre accepts (and numbers), declines,
/// assigns a local lawyer and reports; the requester acknowledges.
struct InvestigationRoutes {
    let workflow: Workflow
    let views: Views

    struct Versioned: Decodable, HasExpectedVersion { var expectedVersion: Int64 }
    struct Reasoned: Decodable, HasExpectedVersion { var expectedVersion: Int64; var reason: String }
    struct Assignment: Decodable, HasExpectedVersion { var expectedVersion: Int64; var lawyer: String; var firm: String }
    struct Report: Decodable, HasExpectedVersion { var expectedVersion: Int64; var findings: String; var documents: [Document]? }

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

import CaseDomain
import Casework
import Hummingbird

/// The forms on an investigation's due date: the requested centre asks for more time, the
/// requester grants or refuses; the same commands as `POST /v1/investigations/{id}/extension`
/// and `…/extension/decision`.
extension StaffPages {
    struct ExtensionForm: Decodable { var csrf: String?; var expectedVersion: Int64; var caseId: String; var days: Int; var reason: String }
    struct ExtensionDecisionForm: Decodable { var csrf: String?; var expectedVersion: Int64; var caseId: String; var granted: String?; var reason: String }

    func addExtensionPages(to pages: RouterGroup<NodeRequestContext>) {
        pages.post("investigations/{id}/extension") { request, context in
            let form = try await checkedForm(ExtensionForm.self, request, context, csrf: \.csrf)
            return try await answer(form.caseId, request, context) {
                _ = try await workflow.act(onInvestigation: try context.parameters.require("id"), expectedVersion: form.expectedVersion,
                                           .requestExtension(days: form.days, reason: form.reason), by: try context.requireStaff())
            }
        }
        pages.post("investigations/{id}/extension/decision") { request, context in
            let form = try await checkedForm(ExtensionDecisionForm.self, request, context, csrf: \.csrf)
            return try await answer(form.caseId, request, context) {
                _ = try await extensionDecision.decide(try context.parameters.require("id"), expectedVersion: form.expectedVersion,
                                                       granted: form.granted == "true", reason: form.reason, by: try context.requireStaff())
            }
        }
    }

    /// Back to the case page after `write`, or the case page with the refusal.
    private func answer(_ caseID: String, _ request: Request, _ context: NodeRequestContext, _ write: () async throws -> Void) async throws -> Response {
        do {
            try await write()
            return HTML.redirect("/cases/\(Self.percentEncoded(caseID))")
        } catch {
            guard let problem = Problem(refusal: error) else { throw error }
            return try await casePage(caseID, request, context, error: problem)
        }
    }
}

import CaseDomain
import Casework
import Hummingbird

/// Supplying missing materials at the counter: the case page's form uploads the scans
/// (multipart, fingerprinted by the server as at intake) and records them through the same
/// command as `POST /v1/cases/{id}/materials`; the bytes are kept once the command is.
extension StaffPages {
    func addMaterialsPage(to pages: RouterGroup<NodeRequestContext>) {
        post(.supplyMaterials, to: pages) { request, context in
            let staff = try context.requireStaff()
            let caseID = try context.parameters.require("id")
            let form = try await MultipartForm.read(request, maximumFileBytes: DocumentRoutes.maximumScanSize)
            guard let token = context.sessionToken, PageSession.isValidCSRF(form.field("csrf"), for: token) else {
                throw Problem(.forbidden, "the form's CSRF token is missing or wrong: reload the page and send it again")
            }
            do {
                guard let version = form.field("expectedVersion").flatMap({ Int64($0) }) else {
                    throw Problem.invalid("expectedVersion", "the version the case page showed")
                }
                let scans = try Self.fingerprinted(form.files, by: staff)
                _ = try await workflow.act(on: caseID, expectedVersion: version, .supplyMaterials(documents: scans.map(\.document)), by: staff)
                try await store(scans)
                return HTML.redirect("/cases/\(Self.percentEncoded(caseID))")
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return try await casePage(caseID, request, context, error: problem)
            }
        }
    }

    /// The form's markup: one or more scans, the version the page shows.
    static func materialsForm(action: String, csrf: String, version: Int64, language: Language) -> String {
        "<form method=\"post\" action=\"\(action)/materials\" id=\"supply-materials\" enctype=\"multipart/form-data\"><fieldset>"
            + "<legend>\(language.text(.supplyMaterials))</legend><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
            + "<input type=\"hidden\" name=\"expectedVersion\" value=\"\(version)\">"
            + "<input type=\"file\" name=\"scans\" multiple required accept=\"application/pdf,image/jpeg,image/png\">"
            + "<button>\(language.text(.supplyMaterials))</button></fieldset></form>"
    }
}

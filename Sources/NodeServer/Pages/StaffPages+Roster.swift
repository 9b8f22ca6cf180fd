import CaseDomain
import Casework
import Foundation
import Hummingbird

/// The centre's lawyer roster (律师名册) in the pages: every lawyer with firm, practice
/// areas, languages, whether they take cases and their open cases; the centre's
/// supervisors list a lawyer and take one off new assignments (or back on) through the
/// same commands as `POST /v1/lawyers` and `POST /v1/lawyers/{id}`.
extension StaffPages {
    struct LawyerListingForm: Decodable { var csrf: String?; var name: String; var firm: String; var practiceAreas: String?; var languages: String? }
    struct LawyerActiveForm: Decodable { var csrf: String?; var expectedVersion: Int64; var active: String? }

    func addRosterPages(to pages: RouterGroup<NodeRequestContext>) {
        pages.get("lawyers") { request, context in try await rosterPage(request, context) }
        pages.post("lawyers") { request, context in
            let form = try await checkedForm(LawyerListingForm.self, request, context, csrf: \.csrf)
            let command = Roster.Command.list(lawyerId: UUID().uuidString.lowercased(), name: form.name, firm: form.firm,
                                              practiceAreas: Self.tags(form.practiceAreas), languages: Self.tags(form.languages))
            return try await actOnRoster(command, expectedVersion: nil, request, context)
        }
        pages.post("lawyers/{id}/active") { request, context in
            let form = try await checkedForm(LawyerActiveForm.self, request, context, csrf: \.csrf)
            guard let active = form.active.flatMap(Bool.init) else { throw Problem.invalid("active", "expected true or false") }
            let command = Roster.Command.update(lawyerId: try context.parameters.require("id").lowercased(), firm: nil, practiceAreas: nil,
                                                languages: nil, active: active)
            return try await actOnRoster(command, expectedVersion: form.expectedVersion, request, context)
        }
    }

    /// A form's comma- or 、-separated list, blanks dropped (the roster's rules judge the rest).
    static func tags(_ text: String?) -> [String] {
        (text ?? "").split { $0 == "," || $0 == "，" || $0 == "、" }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func actOnRoster(_ command: Roster.Command, expectedVersion: Int64?, _ request: Request, _ context: NodeRequestContext) async throws -> Response {
        do {
            _ = try await workflow.act(onRoster: command, expectedVersion: expectedVersion, by: try context.requireStaff())
            return HTML.redirect("/lawyers")
        } catch {
            guard let problem = Problem(refusal: error) else { throw error }
            return try await rosterPage(request, context, error: problem)
        }
    }

    private func rosterPage(_ request: Request, _ context: NodeRequestContext, error: Problem? = nil) async throws -> Response {
        let staff = try context.requireStaff()
        let language = PageSession.language(of: request)
        let csrf = context.sessionToken.map(PageSession.csrf(for:)) ?? ""
        let roster = try await self.roster.page(of: staff.centre)
        let supervises = staff.role == .supervisor
        var body = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0.detail))</p>" } ?? ""
        body += "<h2>\(HTML.escape(centreNames.text(staff.centre)))</h2><table class=\"roster\"><thead><tr><th>\(language.text(.lawyer))</th>"
            + "<th>\(language.text(.firm))</th><th>\(language.text(.practiceAreas))</th><th>\(language.text(.languages))</th>"
            + "<th>\(language.text(.openCases))</th><th>\(language.text(.status))</th>\(supervises ? "<th></th>" : "")</tr></thead><tbody>"
        for lawyer in roster.lawyers {
            let toggle = supervises ? "<td><form method=\"post\" action=\"/lawyers/\(HTML.escape(lawyer.lawyerId))/active\" class=\"lawyer-active\">"
                + "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\"><input type=\"hidden\" name=\"expectedVersion\" value=\"\(roster.version)\">"
                + "<input type=\"hidden\" name=\"active\" value=\"\(lawyer.active ? "false" : "true")\">"
                + "<button>\(language.text(lawyer.active ? .takeOffRoster : .putOnRoster))</button></form></td>" : ""
            body += "<tr data-lawyer=\"\(HTML.escape(lawyer.lawyerId))\" data-active=\"\(lawyer.active)\"><td>\(HTML.escape(lawyer.name))</td>"
                + "<td>\(HTML.escape(lawyer.firm))</td><td>\(HTML.escape(lawyer.practiceAreas.joined(separator: "、")))</td>"
                + "<td>\(HTML.escape(lawyer.languages.joined(separator: "、")))</td><td>\(lawyer.openCases)</td>"
                + "<td>\(language.text(lawyer.active ? .takingCases : .notTakingCases))</td>\(toggle)</tr>"
        }
        body += "</tbody></table>"
        if supervises {
            body += """
                <form method="post" action="/lawyers" id="list-lawyer"><fieldset><legend>\(language.text(.listLawyer))</legend>
                <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                <label>\(language.text(.lawyer)) <input name="name" required></label><label>\(language.text(.firm)) <input name="firm" required></label>
                <label>\(language.text(.practiceAreas)) <input name="practiceAreas"></label><label>\(language.text(.languages)) <input name="languages"></label>
                <button>\(language.text(.listLawyer))</button></fieldset></form>
                """
        }
        return HTML.page(language.text(.roster), language: language, signedIn: signedIn(staff), csrf: csrf, body: body, status: error?.status ?? .ok)
    }
}

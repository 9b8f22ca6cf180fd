import CaseDomain
import Casework
import Foundation
import Hummingbird

/// The sign-in page: staff paste a token of this node, which opens a page session
/// (``StaffAccess/signIn(_:)``) whose secret becomes their session cookie; the token itself
/// stays with them. The form is guarded against cross-site posts (login CSRF) by a double submit: each form
/// gets a random token, set beside it as an HttpOnly, SameSite=Strict cookie for
/// `/sign-in`, and a post is refused (403, with a fresh form) unless both are sent and match.
/// Under `tongban dev` the page also offers each served centre at a click (`/sign-in/dev`).
struct SignInPage {
    let access: StaffAccess
    /// The centres whose staff sign in here.
    let centres: Set<CentreID>
    /// Under `tongban dev`: the centres offered at a click, by name (empty on a served node).
    let devCentres: [(id: CentreID, name: String)]

    struct Form: Decodable { var csrf: String?; var token: String }
    struct DevForm: Decodable { var csrf: String?; var centre: String; var role: String? }

    func add(to router: Router<NodeRequestContext>) {
        router.get("sign-in") { request, _ in page(PageSession.language(of: request), error: nil) }
        router.post("sign-in") { request, _ in
            let language = PageSession.language(of: request)
            let form = try await StaffPages.decode(Form.self, request)
            guard PageSession.isValidSignInForm(form.csrf, cookie: request.cookies[PageSession.signInFormCookieName]?.value) else {
                return page(language, error: "the sign-in form was not sent from this page or has expired: sign in again", status: .forbidden)
            }
            return try await signIn(with: form.token.trimmingCharacters(in: .whitespacesAndNewlines), language: language)
        }
        guard !devCentres.isEmpty else { return }
        router.post("sign-in/dev") { request, _ in
            let language = PageSession.language(of: request)
            let form = try await StaffPages.decode(DevForm.self, request)
            guard PageSession.isValidSignInForm(form.csrf, cookie: request.cookies[PageSession.signInFormCookieName]?.value) else {
                return page(language, error: "the sign-in form was not sent from this page or has expired: sign in again", status: .forbidden)
            }
            guard let centre = devCentres.first(where: { $0.id.rawValue == form.centre })?.id else {
                return page(language, error: "this node serves no centre '\(form.centre.prefix(80))'", status: .unprocessableContent)
            }
            let role: StaffRole = form.role == StaffRole.supervisor.rawValue ? .supervisor : .staff
            let token = try await access.tokens.issue(centre: centre, staff: "dev-\(role.rawValue)", role: role, validity: .seconds(8 * 3600))
            return try await signIn(with: token, language: language)
        }
    }

    /// Under `tongban dev`: a button per served centre and role, signing in at a click.
    private func devPicker(csrf: String, language: Language) -> String {
        guard !devCentres.isEmpty else { return "" }
        let buttons = devCentres.map { centre in
            ["staff", "supervisor"].map { role in
                "<form method=\"post\" action=\"/sign-in/dev\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
                    + "<input type=\"hidden\" name=\"centre\" value=\"\(HTML.escape(centre.id.rawValue))\"><input type=\"hidden\" name=\"role\" value=\"\(role)\">"
                    + "<button data-centre=\"\(HTML.escape(centre.id.rawValue))\" data-role=\"\(role)\">\(HTML.escape(centre.name))"
                    + " · \(role == "staff" ? language.text(.staff) : language.text(.supervisor))</button></form>"
            }.joined(separator: " ")
        }.map { "<li>\($0)</li>" }.joined()
        return "<h2>\(language.text(.devSignIn))</h2><ul class=\"dev-sign-in\">\(buttons)</ul>"
    }

    /// The form with a fresh CSRF token, and its cookie.
    private func page(_ language: Language, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = PageSession.newSignInFormToken()
        let banner = error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        var response = HTML.page(language.text(.signIn), language: language, signedIn: nil, csrf: nil, body: """
            \(banner)<form method="post" action="/sign-in"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))"><label>\(language.text(.token))
            <textarea name="token" rows="4" cols="80" required></textarea></label>
            <p>\(language.text(.signInHelp))</p><button>\(language.text(.signIn))</button></form>\(devPicker(csrf: csrf, language: language))
            """, status: status)
        response.setCookie(PageSession.signInFormCookie(csrf, secure: access.secureCookies))
        return response
    }

    /// Opens a page session for `token`; its secret becomes the session cookie.
    private func signIn(with token: String, language: Language) async throws -> Response {
        let session: (claims: StaffClaims, secret: SessionSecret, expiresAt: Date)
        do {
            session = try await access.signIn(token, centres: centres)
        } catch {
            return page(language, error: error.detail, status: error.status)
        }
        var response = HTML.redirect("/inbox")
        let seconds = Int(session.expiresAt.timeIntervalSinceNow.rounded(.down))
        response.setCookie(PageSession.sessionCookie(session.secret, seconds: max(1, seconds), secure: access.secureCookies))
        response.setCookie(PageSession.signInFormCookieCleared(secure: access.secureCookies))
        return response
    }
}

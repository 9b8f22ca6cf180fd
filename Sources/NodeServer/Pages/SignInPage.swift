import CaseDomain
import Foundation
import Hummingbird

/// The sign-in page: staff paste a token of this node, which opens a page session
/// (``StaffAccess/signIn(_:)``) whose secret becomes their session cookie; the token itself
/// stays with them. The form is guarded against cross-site posts (login CSRF) by a double submit: each form
/// gets a random token, set beside it as an HttpOnly, SameSite=Strict cookie for
/// `/sign-in`, and a post is refused (403, with a fresh form) unless both are sent and match.
struct SignInPage {
    let access: StaffAccess
    /// The centres whose staff sign in here.
    let centres: Set<CentreID>

    struct Form: Decodable { var csrf: String?; var token: String }

    func add(to router: Router<NodeRequestContext>) {
        router.get("sign-in") { request, _ in page(PageSession.language(of: request), error: nil) }
        router.post("sign-in") { request, _ in try await signIn(request) }
    }

    /// The form with a fresh CSRF token, and its cookie.
    private func page(_ language: Language, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = PageSession.newSignInFormToken()
        let banner = error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        var response = HTML.page(language.text(.signIn), language: language, signedIn: nil, csrf: nil, body: """
            \(banner)<form method="post" action="/sign-in"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))"><label>\(language.text(.token))
            <textarea name="token" rows="4" cols="80" required></textarea></label>
            <p>\(language.text(.signInHelp))</p><button>\(language.text(.signIn))</button></form>
            """, status: status)
        response.setCookie(PageSession.signInFormCookie(csrf, secure: access.secureCookies))
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let language = PageSession.language(of: request)
        let form = try await StaffPages.decode(Form.self, request)
        guard PageSession.isValidSignInForm(form.csrf, cookie: request.cookies[PageSession.signInFormCookieName]?.value) else {
            return page(language, error: "the sign-in form was not sent from this page or has expired: sign in again", status: .forbidden)
        }
        let token = form.token.trimmingCharacters(in: .whitespacesAndNewlines)
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

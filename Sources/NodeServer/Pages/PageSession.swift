import CaseDomain
import Casework
import Crypto
import Foundation
import Hummingbird

/// Staff pages sign in with a staff token, which opens a short-lived server-side session
/// (``PageSessions``): the browser keeps only the session's random secret, in an HttpOnly,
/// SameSite=Strict cookie that is also `Secure` when the node is served over https. Every
/// form carries a CSRF token derived from that secret, which a post must send back. The
/// sign-in form, before there is a session, carries a random token that must match its own
/// cookie (a double submit).
struct PageSession {
    /// The session cookie: the session's secret (``SessionSecret``), never a token.
    static let cookie = "tongban_staff"
    static let languageCookie = "tongban_lang"
    /// The sign-in form's CSRF cookie.
    static let signInFormCookieName = "tongban_sign_in"
    /// How long a sign-in form may be left open before it is sent.
    static let signInFormSeconds = 3600

    /// The CSRF token of a session: a keyed hash of the session's secret (the cookie's
    /// value), so it needs no storage and ends with the session.
    static func csrf(for session: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("csrf".utf8), using: SymmetricKey(data: Data(session.utf8)))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `sent` is the session's CSRF token (compared in constant time).
    static func isValidCSRF(_ sent: String?, for session: String) -> Bool {
        guard let sent else { return false }
        return sameToken(sent, csrf(for: session))
    }

    /// A fresh random CSRF token for one sign-in form: 32 bytes as hex.
    static func newSignInFormToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Whether a sign-in post sent back the token its form's cookie holds (in constant time).
    static func isValidSignInForm(_ sent: String?, cookie: String?) -> Bool {
        guard let sent, let cookie, !cookie.isEmpty else { return false }
        return sameToken(sent, cookie)
    }

    private static func sameToken(_ given: String, _ expected: String) -> Bool {
        let given = Array(given.utf8), expected = Array(expected.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The sign-in form's CSRF cookie: sent back to `/sign-in` only, never to a script.
    static func signInFormCookie(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: signInFormCookieName, value: token, maxAge: signInFormSeconds, path: "/sign-in", secure: secure, httpOnly: true,
               sameSite: .strict)
    }

    static func signInFormCookieCleared(secure: Bool) -> Cookie {
        Cookie(name: signInFormCookieName, value: "", maxAge: 0, path: "/sign-in", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func language(of request: Request) -> Language {
        request.cookies[languageCookie].flatMap { Language(rawValue: $0.value) } ?? .zh
    }

    /// The cookie of a session that ends after `seconds` at the latest.
    static func sessionCookie(_ secret: SessionSecret, seconds: Int, secure: Bool) -> Cookie {
        Cookie(name: cookie, value: secret.cookie, maxAge: seconds, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Tells the browser to forget its session cookie.
    static func signOutCookie(secure: Bool) -> Cookie {
        Cookie(name: cookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

/// Lets a page through with the signed-in staff member in the context; sends anyone
/// without an open session (none, signed out, idle too long, past its end, its token or
/// staff member revoked) to the sign-in page. A form's handler checks its CSRF token.
struct PageAuthentication: RouterMiddleware {
    typealias Context = NodeRequestContext

    let access: StaffAccess
    let centres: Set<CentreID>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let cookie = request.cookies[PageSession.cookie]?.value
        guard let (claims, secret) = try await access.session(cookie), centres.contains(claims.centre) else {
            var response = HTML.redirect("/sign-in")
            if cookie != nil { response.setCookie(PageSession.signOutCookie(secure: access.secureCookies)) }
            return response
        }
        var context = context
        context.staff = claims
        context.sessionToken = secret.cookie
        context.logger[metadataKey: "staff"] = "\(claims.centre)/\(claims.staff)"
        context.logger[metadataKey: "jti"] = "\(claims.jti.value)"
        return try await next(request, context)
    }
}

/// Shows a refused page request (a form without its CSRF token, an incomplete form) as an
/// HTML page with the problem's status and detail, instead of the API's problem JSON.
struct PageProblemMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let problem = Problem(refusal: error) else { throw error }
            let language = PageSession.language(of: request)
            return HTML.page("\(problem.status.code)", language: language, signedIn: context.staff.map { "\($0.staff) @ \($0.centre)" },
                             csrf: context.sessionToken.map(PageSession.csrf(for:)),
                             body: "<p class=\"error\" role=\"alert\">\(HTML.escape(problem.detail))</p><p><a href=\"/inbox\">\(language.text(.inbox))</a></p>",
                             status: problem.status)
        }
    }
}

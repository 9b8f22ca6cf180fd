import CaseDomain
import Casework
import EventLog
import Foundation

/// Who may act on this node, checked the same way for the API and the pages: a bearer token
/// must be this node's (``TokenAuthority``) and not revoked (``TokenRevocations``); a page
/// session (``PageSessions``) is opened only with such a token and is refused as soon as
/// that token is.
struct StaffAccess: Sendable {
    let tokens: TokenAuthority
    let revocations: TokenRevocations
    let sessions: PageSessions
    /// Whether the session cookies carry `Secure` (the node is served over https).
    let secureCookies: Bool

    var node: NodeID { tokens.node }

    /// The claims of a bearer token: signed with this node's token key, within its lifetime
    /// and not revoked.
    func verify(_ token: String) async throws(Problem) -> StaffClaims {
        let claims = try await tokens.verify(token)
        let revoked: Bool
        do { revoked = try await revocations.isRevoked(claims) } catch { throw Self.unavailable(error) }
        guard !revoked else { throw Problem(.unauthorized, "the token has been revoked on node \(node) (tongban token revoke)") }
        return claims
    }

    /// Signs in with `token` of a staff member of one of `centres`: the verified claims and a
    /// new page session (401 for a token ``verify(_:)`` refuses, 403 for another centre's).
    func signIn(_ token: String, centres: Set<CentreID>) async throws(Problem) -> (claims: StaffClaims, secret: SessionSecret, expiresAt: Date) {
        let claims = try await verify(token)
        guard centres.contains(claims.centre) else { throw Problem(.forbidden, "centre \(claims.centre) is not served by node \(node)") }
        do {
            let (secret, expiresAt) = try await sessions.open(for: claims)
            return (claims, secret, expiresAt)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// The staff member of the page session a cookie names, if it is open.
    func session(_ cookie: String?) async throws(Problem) -> (claims: StaffClaims, secret: SessionSecret)? {
        guard let cookie, let secret = SessionSecret(cookie: cookie) else { return nil }
        do {
            return try await sessions.resume(secret).map { ($0, secret) }
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// Ends the page session `secret` opens.
    func signOut(_ secret: SessionSecret) async throws(Problem) {
        do { try await sessions.end(secret) } catch { throw Self.unavailable(error) }
    }

    private static func unavailable(_ error: any Error) -> Problem {
        Problem(.unavailable, "staff access cannot be checked: the database does not answer: \(describePostgresError(error))")
    }
}

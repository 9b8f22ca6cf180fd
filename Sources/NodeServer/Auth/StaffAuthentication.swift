import CaseDomain
import Casework
import Hummingbird

/// Verifies `Authorization: Bearer <token>` on every request it guards: 401 without a
/// valid, unrevoked token of this node (``StaffAccess/verify(_:)``), 403 for a centre this
/// node does not serve.
struct StaffAuthentication: RouterMiddleware {
    typealias Context = NodeRequestContext

    let access: StaffAccess
    let centres: Set<CentreID>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem(.unauthorized, "send Authorization: Bearer <staff token> (tongban token issue makes one)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        let claims = try await access.verify(String(parts[1]))
        guard centres.contains(claims.centre) else {
            throw Problem(.forbidden, "centre \(claims.centre) is not served by node \(access.node)")
        }
        var context = context
        context.staff = claims
        context.logger[metadataKey: "staff"] = "\(claims.centre)/\(claims.staff)"
        context.logger[metadataKey: "jti"] = "\(claims.jti.value)"
        return try await next(request, context)
    }
}

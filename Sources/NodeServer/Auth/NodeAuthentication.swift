import CaseDomain
import EventLog
import Federation
import Foundation
import HTTPTypes
import Hummingbird

/// Admits only requests signed by a node of the federation (``NodeRequestSignature``):
/// 401 for an unsigned, badly signed, stale, replayed or unknown-node request. Staff
/// tokens mean nothing here.
struct NodeAuthentication: RouterMiddleware {
    typealias Context = NodeRequestContext

    let keyring: OriginKeyring
    let seen: SeenSignatures

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
        do {
            _ = try await NodeRequestSignature.verify(
                method: request.method.rawValue, path: request.uri.path, body: Data(buffer: body),
                header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } },
                keyring: keyring, now: Timestamp(Date()).millisecondsSinceEpoch, seen: seen)
        } catch {
            throw Problem(.unauthorized, "sync endpoints take node-signed requests only: \(error)")
        }
        var request = request
        request.body = .init(buffer: body)
        return try await next(request, context)
    }
}

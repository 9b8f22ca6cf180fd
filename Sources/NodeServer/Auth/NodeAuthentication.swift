import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import HTTPTypes
import Hummingbird

/// Admits only requests signed by a node of the federation for this node
/// (``NodeRequestSignature``): 401 for an unsigned, badly signed, stale, replayed,
/// misaddressed or unknown-node request. Staff tokens mean nothing here.
///
/// The headers are checked before the body is read, and the body is read only up to the
/// route's limit (``bodyLimit(for:)``): an unsigned request costs no body, a signed one no
/// more than its route needs.
struct NodeAuthentication: RouterMiddleware {
    typealias Context = NodeRequestContext

    /// The nodes' current keys (following the key changes of this node's log).
    let keys: any OriginKeySource
    let seen: SeenSignatures
    /// The node this server is: the receiver every accepted request must name.
    let receiver: NodeID

    /// Body limits of the sync routes: a pull names a version vector, a notification
    /// nothing, key grants at most ``KeyGrantMessage/maximumGrants`` sealed keys, a transfer's
    /// cancellation one reason; the other routes are reads.
    static func bodyLimit(for path: String) -> Int {
        if path.hasSuffix("/pull") { return 64 * 1024 }
        if path.hasSuffix("/notify") { return 1024 }
        if path.hasSuffix("/key-grants") { return 256 * 1024 }
        if path.hasSuffix("/transfer-cancellations") || path.hasSuffix("/extension-decisions") { return 64 * 1024 }
        return 0
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = Timestamp(Date())
        let keyring: OriginKeyring
        do { keyring = try await keys.originKeys() } catch {
            throw Problem(.unavailable, "the node's keys cannot be read now: \(error)")
        }
        let headers: NodeRequestSignature.SignedHeaders
        do {
            headers = try NodeRequestSignature.verifyHeaders(
                header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }, keyring: keyring, now: now)
        } catch {
            throw Problem(.unauthorized, "sync endpoints take node-signed requests only: \(error)")
        }
        if let reason = keyring.compromise(of: headers.node, seq: .max) {
            throw Problem(.unauthorized, "\(headers.node)'s key is marked compromised in the federation file (\(reason)): its requests are refused")
        }
        let limit = Self.bodyLimit(for: request.uri.path)
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch {
            throw Problem(.payloadTooLarge, "\(request.uri.path) takes a body of at most \(limit) bytes")
        }
        var context = context
        do {
            context.peer = try await NodeRequestSignature.verify(headers, method: request.method.rawValue, path: request.uri.path, body: Data(buffer: body),
                                                      receiver: receiver, now: now, seen: seen)
        } catch {
            throw Problem(.unauthorized, "sync endpoints take node-signed requests only: \(error)")
        }
        var request = request
        request.body = .init(buffer: body)
        return try await next(request, context)
    }
}

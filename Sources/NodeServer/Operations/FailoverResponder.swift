import CaseDomain
import Casework
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging

/// What a node says while it has no database to write to: between losing its primary and
/// finding the one that replaces it (or at start-up, before any host takes writes).
public actor FailoverStatus {
    private var detail: String

    public init(_ detail: String) { self.detail = detail }

    /// Replaces what requests are told, e.g. with what each host answered last.
    public func set(_ detail: String) { self.detail = detail }

    var current: String { detail }
}

/// Answers every request with a 503 problem while the node looks for its primary, on the
/// listener its services use (with its TLS), so that staff and peers get a clear answer
/// instead of a refused connection or a request that hangs. `/health` still answers 200:
/// the process lives and comes back by itself.
struct FailoverMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let node: NodeID
    let status: FailoverStatus

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" {
            return try JSONResponse(["status": JSONValue.string("ok"), "node": .string(node.rawValue), "database": .string("failing over")])
                .response(from: request, context: context)
        }
        var response = try Problem(.unavailable, "this node has no database that takes writes now: \(await status.current); it reconnects by itself, retry shortly")
            .response(from: request, context: context)
        response.headers[.retryAfter] = "1"
        return response
    }
}

extension NodeServer {
    /// The application a node runs on `host:port` while it has no primary (see
    /// ``FailoverMiddleware``); run it in a service group of its own and stop it before
    /// the node's services take the listener back.
    public static func failoverApplication(configuration: Configuration, status: FailoverStatus, host: String, port: Int,
                                           logger: Logger) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: FailoverMiddleware(node: configuration.signingKey.node, status: status))
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idleTimeout))
        let server = try configuration.tls?.serverConfiguration.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
        return Application(router: router, server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: "tongban-\(configuration.signingKey.node)"),
                           logger: logger)
    }
}

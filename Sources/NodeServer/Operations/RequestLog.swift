import Foundation
import Hummingbird
import Logging

/// Logs every request once it is answered: method, route template (never the path or query,
/// which can hold ids and ID numbers), status and duration, under Hummingbird's request id.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request answered", metadata: [
            "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)", "ms": "\(String(format: "%.1f", milliseconds))",
        ])
        return response
    }
}

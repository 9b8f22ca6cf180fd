import Casework
import EventLog
import Hummingbird
import Logging

/// Turns every error escaping a route into `application/problem+json`: a ``Problem`` as it
/// is, a refusal of the application layer (``WorkflowError``) as its problem, Hummingbird's
/// own HTTP errors by their status, a database that cannot be used now
/// (its connection lost, a failover under way) as a 503, anything else as a logged 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let refusal as WorkflowError {
            return try Problem(refusal).response(from: request, context: context)
        } catch let error as HTTPError {
            let kind: Problem.Kind = switch error.status {
            case .notFound: .notFound
            case .contentTooLarge: .payloadTooLarge
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .unsupportedMediaType: .unsupportedMediaType
            case .methodNotAllowed, .badRequest: .malformed
            default: error.status.code >= 500 ? .internalError : .malformed
            }
            let detail = error.body ?? (kind == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return try Problem(kind, detail).response(from: request, context: context)
        } catch where isDatabaseUnavailable(error) {
            context.logger.warning("request failed: the database cannot be used now", metadata: ["error": "\(describePostgresError(error))"])
            return try Problem(.unavailable, "the database cannot be used now (\(describePostgresError(error))); retry shortly")
                .response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return try Problem(.internalError, "the node failed to handle the request; it is logged").response(from: request, context: context)
        }
    }
}

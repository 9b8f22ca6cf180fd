import Hummingbird
import Logging

/// Bounds how long a request may take before it is answered: past `limit` its handler is
/// cancelled, which ends any wait for a database connection (a lease queued in the pool is
/// cancellable), and the request is answered 503 instead of never. A handler that finishes
/// its work although cancelled (a commit already under way is not interrupted) still
/// gives its own answer, late: what it did is never reported as not done.
struct RequestDeadlineMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    let limit: Duration

    private enum Outcome: Sendable {
        case answered(Response)
        case failed(any Error)
        case expired
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // `/health` waits on nothing and is probed most often: spared the deadline's two
        // tasks and timer (under wrk they cost it half its rate: 25,900 → 13,700 requests/s).
        if request.uri.path == "/health" { return try await next(request, context) }
        let (outcome, expired) = await withoutActuallyEscaping(next) { next in
            // The rest of the chain runs on a child task so that it can be cancelled; it is
            // called once, there, while this task only awaits the group: never concurrently.
            nonisolated(unsafe) let handler = next
            return await withTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    do { return .answered(try await handler(request, context)) } catch { return .failed(error) }
                }
                group.addTask { [limit] in
                    do { try await Task.sleep(for: limit) } catch { return .failed(error) }
                    return .expired
                }
                var expired = false
                while let outcome = await group.next() {
                    guard case .expired = outcome else {
                        group.cancelAll()
                        return (outcome, expired)
                    }
                    // The handler is told to stop; its own outcome is still awaited.
                    expired = true
                    group.cancelAll()
                }
                return (Outcome.expired, expired)
            }
        }
        switch outcome {
        case .answered(let response):
            if expired {
                context.logger.warning("request answered after its deadline", metadata: ["limit": "\(limit)", "route": "\(context.endpointPath ?? "unmatched")"])
            }
            return response
        case .failed(let error) where expired:
            context.logger.warning("request cancelled at its deadline", metadata: [
                "limit": "\(limit)", "route": "\(context.endpointPath ?? "unmatched")", "error": "\(String(reflecting: error))",
            ])
            let retry = request.method == .get || request.method == .head
                ? "retry shortly"
                : "the command may or may not have been recorded: read the record before you give it again"
            throw Problem(.unavailable, "the node stopped the request after \(limit): the database is busy or unreachable; \(retry)")
        case .failed(let error):
            throw error
        case .expired:
            throw Problem(.unavailable, "the node could not answer within \(limit)")
        }
    }
}

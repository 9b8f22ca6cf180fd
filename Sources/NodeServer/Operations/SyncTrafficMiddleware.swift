import Hummingbird
import Prometheus

/// Counts what other nodes ask of this one under `/v1/sync` — requests by route and
/// answer status, and the bytes of their bodies and of the answers — so that an operator
/// (and `tongban bench federation`) sees what a node's peers cost it. Outside every other
/// middleware, so refusals count with the status the caller saw.
struct SyncTrafficMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let metrics: NodeMetrics

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tongban", metricName: "sync_requests", unitName: "total",
                             helpText: "Requests other nodes sent to /v1/sync, by route and answer status.")
    }
    private static var bytes: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tongban", metricName: "sync_bytes", unitName: "total",
                             helpText: "Bytes of /v1/sync request bodies (direction in) and answer bodies (direction out).")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard let route = context.endpointPath, route.hasPrefix("/v1/sync") else { return response }
        metrics.registry.makeCounter(descriptor: Self.requests, labels: [("route", "\(request.method) \(route)"), ("status", "\(response.status.code)")])
            .increment()
        // A counter only goes up: a length that is not a plain non-negative number counts as 0.
        let received = request.headers[.contentLength].flatMap { UInt32($0) }.map(Int64.init) ?? 0
        metrics.registry.makeCounter(descriptor: Self.bytes, labels: [("direction", "in")]).increment(by: Int64(received))
        metrics.registry.makeCounter(descriptor: Self.bytes, labels: [("direction", "out")]).increment(by: Int64(max(0, response.body.contentLength ?? 0)))
        return response
    }
}

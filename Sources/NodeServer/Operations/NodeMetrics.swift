import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
import PostgresNIO
import Projections
import Prometheus

/// A node's metrics, served in Prometheus's text format at `/metrics`. Each node keeps its
/// own registry: `tongban dev` and the tests run several nodes in one process.
///
/// Counted as they happen: appends and imports with their latency (by the appender, through
/// ``factory``), staff commands by route and status, inbox query latency. Read at scrape
/// time: the log's head, each projection's lag behind it and its parked events, each peer's
/// sync lag and the quarantine. No label carries personal data: routes are templates, never ids.
public struct NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// For components that count through swift-metrics (the appender).
    public let factory: PrometheusMetricsFactory

    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map { .milliseconds($0) }
    private static var commands: MetricNameDescriptor { descriptor("commands", "total", "Staff commands (POST and PUT under /v1) by route and answer status.") }
    private static var inboxQuery: MetricNameDescriptor { descriptor("inbox_query_duration", "seconds", "Time to answer GET /v1/inbox.") }
    private static var head: MetricNameDescriptor { descriptor("log_head", "position", "The global position of the last event in this node's log.") }
    private static var projectionLag: MetricNameDescriptor { descriptor("projection_lag", "events", "Events in the log a projection has not applied yet.") }
    private static var syncLag: MetricNameDescriptor { descriptor("sync_lag", "events", "Events a peer held that this node lacked at the last pull from it.") }
    private static var syncContactAge: MetricNameDescriptor { descriptor("sync_last_contact_age", "seconds", "Seconds since the last successful pull from a peer (-1: never).") }
    private static var quarantined: MetricNameDescriptor { descriptor("quarantined", "events", "Imported events kept but quarantined (invariant 5).") }
    private static var parked: MetricNameDescriptor { descriptor("projection_parked", "events", "Events a projection could not apply and parked (invariant 10).") }

    /// `tongban_<name>_<unit>`, with its help text.
    private static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tongban", metricName: name, unitName: unit, helpText: help)
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
    }

    /// A staff command on route template `command` answered `status`.
    func recordCommand(_ command: String, status: Int) {
        registry.makeCounter(descriptor: Self.commands, labels: [("command", command), ("status", "\(status)")]).increment()
    }

    func recordInboxQuery(_ duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.inboxQuery, labels: [], buckets: Self.latencyBuckets).record(duration)
    }

    /// Sets the gauges read at scrape time.
    func refresh(client: PostgresClient, syncWorker: SyncWorker?, logger: Logger) async throws {
        let reader = EventReader(client: client, logger: logger)
        let head = try await reader.headPosition()
        registry.makeGauge(descriptor: Self.head, labels: []).set(Double(head))
        let rows = try await client.query("SELECT projection, position FROM projections.checkpoints", logger: logger)
        for try await (projection, position) in rows.decode((String, Int64).self) {
            registry.makeGauge(descriptor: Self.projectionLag, labels: [("projection", projection)]).set(Double(max(0, head - position)))
        }
        registry.makeGauge(descriptor: Self.quarantined, labels: []).set(Double(try await reader.quarantineCount()))
        for (projection, count) in try await ParkedEvents(client: client, logger: logger).counts() {
            registry.makeGauge(descriptor: Self.parked, labels: [("projection", projection)]).set(Double(count))
        }
        let now = Timestamp(Date())
        for peer in await syncWorker?.peerStatus ?? [] {
            registry.makeGauge(descriptor: Self.syncLag, labels: [("peer", peer.node)]).set(Double(peer.lagEvents))
            let age = peer.lastContact.map { Double(now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000 } ?? -1
            registry.makeGauge(descriptor: Self.syncContactAge, labels: [("peer", peer.node)]).set(age)
        }
    }
}

/// Counts staff commands and times inbox queries, outside every other middleware so that
/// refusals are counted with the status the caller saw.
struct CommandMetricsMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        guard let route = context.endpointPath, route.hasPrefix("/v1/"), !route.hasPrefix("/v1/sync") else { return response }
        if request.method == .post || request.method == .put {
            metrics.recordCommand("\(request.method) \(route)", status: response.status.code)
        } else if request.method == .get, route == "/v1/inbox" {
            metrics.recordInboxQuery(ContinuousClock.now - started)
        }
        return response
    }
}

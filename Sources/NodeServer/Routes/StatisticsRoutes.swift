import CaseDomain
import Casework
import EventLog
import Hummingbird
import Projections

/// `GET /v1/stats?from=&to=`: per centre, how many steps were finished in the period, how
/// long they took (median, p90, in hours), how many late, and how many are overdue now.
struct StatisticsRoutes {
    let statistics: StatisticsQuery
    let clock: NodeClock

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("stats") { request, context in
            _ = try context.requireStaff()
            let now = clock.now()
            let expected = "an ISO-8601 time such as 2026-11-01T00:00:00Z"
            let to = try request.queryParameter("to", expected: expected, Timestamp.init(iso8601:)) ?? now
            let from = try request.queryParameter("from", expected: expected, Timestamp.init(iso8601:)) ?? to.adding(days: -30)
            guard from < to else { throw Problem.invalid("from", "must be before to (\(to))") }
            let centres = try await statistics.figures(from: from, to: to, now: now)
            return JSONResponse(StatisticsPage(from: from, to: to, centres: centres))
        }
    }

    struct StatisticsPage: Encodable, Sendable {
        var from: Timestamp
        var to: Timestamp
        var centres: [StatisticsQuery.Centre]
    }
}

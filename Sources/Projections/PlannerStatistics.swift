import Logging
import PostgresNIO

/// Keeps PostgreSQL's planner statistics of a projector's tables in step with their
/// growth. The reads staff wait for (a centre's inbox, a page of cases) are planned on
/// those statistics: on a table that grew since it was last analysed the planner expects a
/// handful of rows and sorts them all instead of walking the index (issue 18 saw 9,000
/// inbox items sorted per request). Autovacuum analyses only a minute or more later, so the
/// projector refreshes them itself after a batch once the log it has applied has grown by
/// a tenth (and at least ``minimumGrowth`` events) since the last refresh, and on the first
/// batch after it starts: a refresh samples at most 30,000 rows per table, and the
/// geometric rule makes their number grow with the logarithm of the log's size.
actor PlannerStatistics {
    /// Events applied before a refresh is worth its cost.
    static let minimumGrowth: Int64 = 500

    /// The log position the projector had applied up to at the last refresh; `nil` before it.
    private var refreshedAt: Int64?
    private var warned = false

    /// Whether a projector that has applied up to `position` should refresh now.
    static func isDue(position: Int64, refreshedAt: Int64?) -> Bool {
        guard let refreshedAt else { return position > 0 }
        let growth = position - refreshedAt
        return growth >= minimumGrowth && growth >= refreshedAt / 10
    }

    /// Refreshes the statistics of `tables` in `schema` if the projector, now at `position`,
    /// has grown enough since the last refresh. A refusal is logged once and never fails
    /// the projection: stale statistics make reads slower, not wrong.
    func refreshIfGrown(position: Int64, tables: [String], schema: ProjectionSchema, client: PostgresClient, logger: Logger) async {
        guard Self.isDue(position: position, refreshedAt: refreshedAt) else { return }
        refreshedAt = position
        do {
            _ = try await client.query("SELECT projections.refresh_statistics(\(schema.name), \(tables))", logger: logger)
        } catch {
            guard !warned else { return }
            warned = true
            logger.warning("cannot refresh the planner statistics of the projection tables; reads may be planned on stale ones",
                           metadata: ["schema": "\(schema.name)", "error": "\(String(reflecting: error))"])
        }
    }
}

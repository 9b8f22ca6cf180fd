import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// The timings behind `GET /v1/stats`, applied a batch at a time like the inbox: load the
/// touched subjects' intervals, apply the events in memory, write them back.
public struct StatisticsProjection: Projection {
    public let name = "statistics"
    public let tables = ["stats_intervals"]

    public init() {}

    private static let noTime = Int64.min

    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        let touched = Set(batch.compactMap(StatisticsModel.subject(of:)))
        guard !touched.isEmpty else { return }
        let subjects = Array(touched.subtracting(batch.openedRecords))
        var model = StatisticsModel()
        if !subjects.isEmpty {
            try await load(subjects, into: &model, on: connection, logger: logger)
            _ = try await connection.query("DELETE FROM stats_intervals WHERE subject = ANY(\(subjects))", logger: logger)
        }
        for event in batch { model.apply(event) }
        try await insert(model, on: connection, logger: logger)
    }

    private func load(_ subjects: [String], into model: inout StatisticsModel, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT interval_id, measure, subject, centre, (extract(epoch FROM started_at) * 1000)::bigint,
                   (extract(epoch FROM ended_at) * 1000)::bigint, (extract(epoch FROM due_at) * 1000)::bigint, clock_skew
              FROM stats_intervals WHERE subject = ANY(\(subjects))
            """, logger: logger)
        for try await (id, measure, subject, centre, started, ended, due, clockSkew)
            in rows.decode((String, String, String, String, Int64, Int64?, Int64?, Bool).self) {
            guard let measure = StatisticsModel.Measure(rawValue: measure) else { continue }
            model.load(id, .init(measure: measure, subject: subject, centre: centre, startedAt: Timestamp(millisecondsSinceEpoch: started),
                                 endedAt: ended.map(Timestamp.init(millisecondsSinceEpoch:)), dueAt: due.map(Timestamp.init(millisecondsSinceEpoch:)),
                                 clockSkew: clockSkew))
        }
    }

    private func insert(_ model: StatisticsModel, on connection: PostgresConnection, logger: Logger) async throws {
        let intervals = model.intervals.sorted { $0.key < $1.key }
        guard !intervals.isEmpty else { return }
        _ = try await connection.query("""
            INSERT INTO stats_intervals (interval_id, measure, subject, centre, started_at, ended_at, due_at, clock_skew)
            SELECT id, measure, subject, centre, 'epoch'::timestamptz + started * interval '1 millisecond',
                   CASE WHEN ended = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + ended * interval '1 millisecond' END,
                   CASE WHEN due = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + due * interval '1 millisecond' END, clock_skew
              FROM unnest(\(intervals.map(\.key)), \(intervals.map(\.value.measure.rawValue)), \(intervals.map(\.value.subject)),
                          \(intervals.map(\.value.centre)), \(intervals.map(\.value.startedAt.millisecondsSinceEpoch)),
                          \(intervals.map { $0.value.endedAt?.millisecondsSinceEpoch ?? Self.noTime }),
                          \(intervals.map { $0.value.dueAt?.millisecondsSinceEpoch ?? Self.noTime }), \(intervals.map(\.value.clockSkew)))
                   AS i(id, measure, subject, centre, started, ended, due, clock_skew)
            """, logger: logger)
    }
}

/// Per-centre figures over a period: for each measure, the steps finished in it, their
/// median and 90th-percentile durations, how many finished late, and how many are open and
/// overdue now.
public struct StatisticsQuery: Sendable {
    /// One measure's figures at one centre.
    public struct Figures: Sendable, Hashable, Encodable {
        public var completed: Int
        public var medianHours: Double?
        public var p90Hours: Double?
        /// Finished in the period after their due date.
        public var completedLate: Int
        /// Still open and past due now.
        public var overdueNow: Int
    }

    /// A centre's figures by measure.
    public struct Centre: Sendable, Encodable {
        public var centre: String
        public var measures: [String: Figures]
    }

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.stats")) {
        self.client = client
        self.logger = logger
    }

    /// The figures of every centre with activity, for steps finished in `[from, to)`.
    public func figures(from: Timestamp, to: Timestamp, now: Timestamp) async throws -> [Centre] {
        let rows = try await client.query("""
            WITH finished AS (
                SELECT centre, measure, extract(epoch FROM ended_at - started_at) / 3600 AS hours, ended_at > due_at AS late
                  FROM projections.stats_intervals
                 WHERE ended_at >= \(from.date) AND ended_at < \(to.date)
            ), done AS (
                SELECT centre, measure, count(*)::int AS completed,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90,
                       count(*) FILTER (WHERE late)::int AS late
                  FROM finished GROUP BY centre, measure
            ), open AS (
                SELECT centre, measure, count(*)::int AS overdue
                  FROM projections.stats_intervals
                 WHERE ended_at IS NULL AND due_at < \(now.date)
                 GROUP BY centre, measure
            )
            SELECT coalesce(done.centre, open.centre), coalesce(done.measure, open.measure),
                   coalesce(done.completed, 0), done.median, done.p90, coalesce(done.late, 0), coalesce(open.overdue, 0)
              FROM done FULL JOIN open ON open.centre = done.centre AND open.measure = done.measure
             ORDER BY 1, 2
            """, logger: logger)
        var centres: [String: [String: Figures]] = [:]
        for try await (centre, measure, completed, median, p90, late, overdue) in rows.decode((String, String, Int, Double?, Double?, Int, Int).self) {
            centres[centre, default: [:]][measure] = Figures(
                completed: completed, medianHours: median.map { ($0 * 100).rounded() / 100 }, p90Hours: p90.map { ($0 * 100).rounded() / 100 },
                completedLate: late, overdueNow: overdue)
        }
        return centres.keys.sorted().map { Centre(centre: $0, measures: centres[$0]!) }
    }
}

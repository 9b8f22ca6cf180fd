import CaseDomain
import EventLog
import Federation
import Foundation
import PostgresNIO
@testable import Projections
import TestSupport
import Testing

/// Issue 18: the planner's statistics of the projection tables cannot go stale. A centre's
/// inbox that grew from nothing to ten thousand items, read the moment the projector has
/// applied them, is planned as the walk of its index it is (50 rows read), not as a sort of
/// every item of the centre on statistics made for an empty table.
@Suite("Planner statistics follow the projection tables' growth")
struct PlannerStatisticsTests {
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let wulian = CentreID(rawValue: "rizhao-wulian")!

    /// `count` cases submitted at `centre` and assessed complete, straight into the log: a
    /// decide item each in the centre's inbox.
    static func appendCases(_ count: Int, at centre: CentreID, into appender: EventAppender, policies: [NodeID: CityPolicy]) async throws {
        let actor = Actor(centre: centre, staff: "intake")
        let context = CaseContext(now: Timestamp(iso8601: "2026-11-20T02:00:00Z")!, actor: actor, policies: policies)
        var appends: [StreamAppend] = []
        for index in 0..<count {
            let applicant = Applicant(name: "申请人\(index)", idNumber: "371121198001011234", phone: "13800000000", homeCity: centre.node, groups: [])
            let matter = Matter(litigation: true, cause: "traffic-accident", summary: "交通事故赔偿", venue: "人民法院", jurisdictionCentre: centre)
            var state = CaseState()
            var events: [NewEvent] = []
            for command in [CaseCommand.submit(applicant: applicant, matter: matter, urgent: false, hardship: .promise(statement: "承诺"),
                                               documents: [], consent: Consent(shareWithJurisdiction: true, checksByOtherCities: true)),
                            .assess(eligible: true, reason: "符合条件", missing: [])] {
                for event in try CaseLifecycle.decide(command, on: state, context: context) {
                    state = CaseLifecycle.evolve(state, event)
                    events.append(NewEvent(type: event.type, actor: actor, body: try event.body()))
                }
            }
            appends.append(StreamAppend(stream: StreamID.caseFile(UUID()).description, expectedVersion: 0, events: events))
            if appends.count == 250 || index == count - 1 {
                _ = try await appender.appendAtomically(appends)
                appends = []
            }
        }
    }

    /// The plan PostgreSQL chooses for the first page of `centre`'s inbox, as JSON text.
    static func plan(of centre: CentreID, on client: PostgresClient) async throws -> String {
        let page = InboxQuery.statement(centre: centre, kind: nil, overdue: nil, limit: 50, after: nil, now: Timestamp(iso8601: "2026-11-20T02:00:00Z")!)
        let explained = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + page.sql, binds: page.binds)
        var plan = ""
        for try await line in try await client.query(explained).decode(String.self) { plan += line }
        return plan
    }

    @Test func theInboxOfACentreThatJustGrewIsReadThroughItsIndex() async throws {
        try await withTestDatabase { database in
            let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
            let federation = try FederationFile.decode(data, source: "federation.example.json", requirePublicKeys: false)
            let appender = database.appender(node: "qingdao")
            try await Self.appendCases(10_000, at: Self.licang, into: appender, policies: federation.policies)
            try await Self.appendCases(500, at: Self.wulian, into: appender, policies: federation.policies)
            try await Projector(projection: InboxProjection(), client: database.service).catchUp()
            #expect(try await database.count("SELECT count(*) FROM projections.inbox_items WHERE centre = 'qingdao-licang'") == 10_000)

            let plan = try await Self.plan(of: Self.licang, on: database.service)
            #expect(plan.contains("\"Index Name\": \"inbox_items_by_centre_due\""), "the page walks the (centre, due, item) index: \(plan)")
            #expect(!plan.contains("\"Node Type\": \"Sort\""), "the page sorts nothing: \(plan)")
            let analysed = try await database.count("""
                SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'projections' AND relname = 'inbox_items' AND last_analyze IS NOT NULL
                """)
            #expect(analysed == 1, "the projector analysed the inbox table itself, not autovacuum")
        }
    }

    @Test func aRefreshIsDueOnTheFirstBatchThenAfterATenthOfGrowth() {
        #expect(!PlannerStatistics.isDue(position: 0, refreshedAt: nil), "an empty log has nothing to analyse")
        #expect(PlannerStatistics.isDue(position: 1, refreshedAt: nil), "the first batch after start")
        #expect(!PlannerStatistics.isDue(position: 400, refreshedAt: 1))
        #expect(PlannerStatistics.isDue(position: 501, refreshedAt: 1), "at least 500 events")
        #expect(!PlannerStatistics.isDue(position: 1_090_000, refreshedAt: 1_000_000))
        #expect(PlannerStatistics.isDue(position: 1_100_000, refreshedAt: 1_000_000), "a tenth of the log")
    }
}

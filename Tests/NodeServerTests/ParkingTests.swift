import CaseDomain
import Casework
import EventLog
import Foundation
@testable import LocalPostgres
import NodeServer
import PostgresNIO
import Projections
import TestSupport
import Testing

/// Invariant 10: an event a projection cannot apply is parked, counted and shown, the
/// projection goes on, a rebuild parks the same events, and a retry after the fix applies them.
@Suite("Invariant 10: no event stops a projection")
struct ParkingTests {
    typealias H = NodeHarness

    /// The `tongban` executable built beside this test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tongban").path

    static func tongban(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await onOwnThread { try ChildProcess.run([executable] + arguments, captureOutput: true) }
    }

    static func submitted(_ node: H) async throws -> String {
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
        return try #require(created["caseId"]?.stringValue)
    }

    /// Every projection's checkpoint is the log's head.
    static func expectAtHead(_ node: H, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let head = try await node.logSize()
        let lagging = try await node.database.count("SELECT count(*)::int FROM projections.checkpoints WHERE position <> \(head)")
        let projections = try await node.database.count("SELECT count(*)::int FROM projections.checkpoints")
        #expect(lagging == 0 && projections == ProjectorService.all.count, "every projection should stand at the head \(head)", sourceLocation: sourceLocation)
    }

    /// Rebuilds every projection and compares it with the live ones, parked events included.
    static func expectReplayMatches(_ node: H, parked: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let replay = Replay(projections: ProjectorService.all, into: ProjectionSchema("projections_replay")!, client: node.database.owner)
        try await replay.rebuild(batchSize: 3)
        let report = try await replay.compareWithLive()
        #expect(report.matches, "a rebuild must equal the live projections: \(report.comparisons.map { "\($0.live) vs \($0.rebuilt)" })",
                sourceLocation: sourceLocation)
        let parkedRows = report.comparisons.first { $0.live.table == "parked_events" }
        #expect(parkedRows?.live.rows == parked && parkedRows?.rebuilt.rows == parked,
                "live and rebuild should both hold \(parked) parked events: \(String(describing: parkedRows))", sourceLocation: sourceLocation)
        try await ProjectionSchema("projections_replay")!.drop(on: node.database.owner, logger: .init(label: "test"))
    }

    @Test func anEventTheCaseViewRefusesIsParkedAndTheProjectionGoesOn() async throws {
        try await H.run { node in
            let poisoned = try await Self.submitted(node)
            let healthy = try await Self.submitted(node)
            try await node.project()
            // The case view's table refuses any later state of one case, as it refuses U+0000 in jsonb.
            _ = try await node.database.owner.query(PostgresQuery(unsafeSQL: """
                ALTER TABLE projections.case_views ADD CONSTRAINT test_refuses_case CHECK (case_id <> '\(poisoned)' OR version < 2)
                """))
            try await node.expect(.ok, .post, "/v1/cases/\(poisoned)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(poisoned)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"])
            try await node.expect(.ok, .post, "/v1/cases/\(healthy)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.project()
            try await Self.expectAtHead(node)

            // The refused event is parked with PostgreSQL's reason, the case's next one behind it.
            let parked = try await ParkedEvents(client: node.database.service).list()
            #expect(parked.map(\.projection) == ["case-views", "case-views"] && parked.map(\.type) == ["ApplicationAssessed", "TransferRequested"], "\(parked)")
            let first = try #require(parked.first)
            #expect(first.reason.contains("test_refuses_case") && first.reason.contains("23514") && first.behind == nil, "\(first.reason)")
            #expect(parked.last?.behind == first.position && parked.last?.reason == "behind parked event at position \(first.position)")

            // Its reads answer 503 naming the projection, position and event; the other case's are served.
            for path in ["/v1/cases/\(poisoned)", "/v1/cases/\(poisoned)/timeline"] {
                let answer = try await node.call(.get, path, as: H.wulian)
                let detail = answer.json["detail"]?.stringValue ?? ""
                #expect(answer.status == .serviceUnavailable && answer.problemType == "unavailable", "\(path): \(answer.json)")
                #expect(detail.contains("case-views") && detail.contains("position \(first.position)")
                        && detail.contains(first.eventID.uuidString.lowercased()), "\(path): \(detail)")
            }
            let cookie = try await StaffPagesTests.signIn(node, as: H.wulian)
            #expect(try await StaffPagesTests.page(node, "/cases/\(poisoned)", cookie: cookie).0 == .serviceUnavailable)
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(healthy)", as: H.wulian)["version"] == 2)
            #expect(try await StaffPagesTests.page(node, "/cases/\(healthy)", cookie: cookie).0 == .ok)
            // Who takes no part in the case learns nothing of it.
            #expect(try await node.call(.get, "/v1/cases/\(poisoned)", as: H.huancui).status == .forbidden)

            // Operators see them: the metric and the CLI.
            let metrics = try await node.call(.get, "/metrics", as: nil).json.stringValue ?? ""
            #expect(metrics.contains(#"tongban_projection_parked_events{projection="case-views"} 2"#)
                    && metrics.contains(#"tongban_projection_parked_events{projection="inbox"} 0"#), "\(metrics)")
            let url = node.database.cluster.url(user: LocalCluster.serviceRole, database: node.database.name)
            let listed = try await Self.tongban(["projections", "parked", "--json", "--database-url", url])
            let json = try CanonicalJSON.decode(Array(listed.output.utf8))
            #expect(listed.status == 0 && json["parked"]?[0]?["position"]?.integerValue == first.position
                    && json["parked"]?[0]?["eventId"]?.stringValue == first.eventID.uuidString.lowercased(), "\(listed.output)")
            let text = try await Self.tongban(["projections", "parked", "--database-url", url])
            #expect(text.output.contains("case-views\tposition \(first.position)\tevent \(first.eventID.uuidString.lowercased())\tApplicationAssessed"), "\(text.output)")

            // A rebuild parks the same events: live equals rebuild, parked events included.
            try await Self.expectReplayMatches(node, parked: 2)

            // The cause removed, a retry applies both in order and the case is served again.
            _ = try await node.database.owner.query("ALTER TABLE projections.case_views DROP CONSTRAINT test_refuses_case")
            let retried = try await Self.tongban(["projections", "retry", "--projection", "case-views", "--database-url", url])
            #expect(retried.status == 0 && retried.output.contains("case-views: 2 applied, 0 still parked"), "\(retried.output)")
            let view = try await node.expect(.ok, .get, "/v1/cases/\(poisoned)", as: H.wulian)
            #expect(view["version"] == 3 && view["transferTarget"] == "qingdao-licang", "\(view)")
            #expect(try await ParkedEvents(client: node.database.service).list().isEmpty)
            try await Self.expectReplayMatches(node, parked: 0)
        }
    }

    @Test func anEventOfAnUnknownTypeIsParkedByEveryProjectionUntilTheNodeReadsIt() async throws {
        try await H.run { node in
            let newer = try await Self.submitted(node)
            let other = try await Self.submitted(node)
            // A node upgraded first wrote an event type and a schema version this node does not know.
            let appender = node.database.appender(node: "rizhao")
            let actor = Actor(centre: H.wulian, staff: "staff-1")
            _ = try await appender.append(to: "case-\(newer)", expectedVersion: 1, events: [
                NewEvent(type: "ApplicationReviewedByPanel", actor: actor, body: ["panel": "三人"]),
                NewEvent(type: "ApplicationAssessed", schemaVersion: 2, actor: actor, body: ["eligible": true]),
            ])
            try await node.expect(.ok, .post, "/v1/cases/\(other)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.project()
            try await Self.expectAtHead(node)

            let parked = try await ParkedEvents(client: node.database.service).list()
            #expect(Set(parked.map(\.projection)) == Set(ProjectorService.all.map(\.name)) && parked.count == 2 * ProjectorService.all.count, "\(parked)")
            let unknown = try #require(parked.first { $0.projection == "case-views" })
            #expect(unknown.type == "ApplicationReviewedByPanel" && unknown.reason.contains("unknown event type") && unknown.behind == nil, "\(unknown)")
            #expect(parked.filter { $0.type == "ApplicationAssessed" }.allSatisfy { $0.behind == unknown.position })
            #expect(try await node.call(.get, "/v1/cases/\(newer)", as: H.wulian).status == .serviceUnavailable)
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(other)", as: H.wulian)["phase"] == "ready-for-decision")
            try await Self.expectReplayMatches(node, parked: Int64(parked.count))

            // Until this node is upgraded a retry applies nothing and says so; the parked set is unchanged.
            let outcomes = try await Projector(projections: ProjectorService.all, client: node.database.service).retryParked()
            #expect(outcomes.allSatisfy { $0.applied == 0 && $0.stillParked == 2 }, "\(outcomes)")
            #expect(try await ParkedEvents(client: node.database.service).list() == parked)
        }
    }

    @Test func anInvestigationRequestWaitsBehindItsCasesParkedEventAndARetryAppliesBothInOrder() async throws {
        try await H.run { node in
            let id = try await Self.submitted(node)
            try await node.project()
            _ = try await node.database.owner.query(PostgresQuery(unsafeSQL: """
                ALTER TABLE projections.case_views ADD CONSTRAINT test_refuses_case CHECK (case_id <> '\(id)' OR version < 2)
                """))
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            let requested = try await node.expect(.created, .post, "/v1/cases/\(id)/investigations", as: H.wulian,
                                                  ["toCentre": "weihai-huancui", "questions": ["住址"], "dueDays": 5])
            let investigation = try #require(requested["investigationId"]?.stringValue)
            try await node.project()
            try await Self.expectAtHead(node)

            // The request is parked behind its case's parked event in the case view only; the inbox has it.
            let parked = try await ParkedEvents(client: node.database.service).list()
            #expect(parked.map(\.type) == ["ApplicationAssessed", "InvestigationRequested"] && parked.allSatisfy { $0.projection == "case-views" }, "\(parked)")
            #expect(parked.last?.caseStream == "case-\(id)" && parked.last?.behind == parked.first?.position, "\(parked)")
            #expect(try await node.inbox(H.huancui) == ["incoming-investigation@\(investigation)"])
            try await Self.expectReplayMatches(node, parked: 2)

            _ = try await node.database.owner.query("ALTER TABLE projections.case_views DROP CONSTRAINT test_refuses_case")
            let outcomes = try await Projector(projection: CaseViewProjection(), client: node.database.service).retryParked()
            #expect(outcomes.map { "\($0.projection) \($0.applied)/\($0.stillParked)" } == ["case-views 2/0"], "\(outcomes)")
            let view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.wulian)
            #expect(view["phase"] == "ready-for-decision" && view["investigations"]?[0]?["investigationId"]?.stringValue == investigation, "\(view)")
            try await Self.expectReplayMatches(node, parked: 0)
        }
    }
}

import CaseDomain
import Casework
import EventLog
import Foundation
@testable import LocalPostgres
import Logging
import NodeServer
import PostgresNIO
import Projections
import Testing

/// Invariant 7: projections are a function of the log. A replay from position 0 gives the
/// same rows as the live projection, however often the live one was stopped, failed
/// mid-batch and restarted.
@Suite("Invariant 7: replay reproduces the live projections")
struct ReplayTests {
    typealias H = NodeHarness

    /// A projection that fails on its `failAt`-th event, as a crash mid-batch would.
    struct FailingProjection: Projection {
        let inner: any Projection
        let failAt: Int
        let counter: Counter
        var name: String { inner.name }
        var tables: [String] { inner.tables }

        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private var count = 0
            /// Counts `events` more; whether the count passed `limit` with them.
            func add(_ events: Int, passing limit: Int) -> Bool {
                lock.withLock {
                    let before = count
                    count += events
                    return before < limit && count >= limit
                }
            }
        }

        struct Crash: Error {}

        func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
            try await inner.apply(batch, on: connection, logger: logger)
            if counter.add(batch.count, passing: failAt) { throw Crash() }
        }
    }

    static let centres = [H.wulian, H.licang, H.huancui, CentreID(rawValue: "rizhao-donggang")!, CentreID(rawValue: "weihai-municipal")!]

    /// One random step on a random case: most are refused, which is part of the workload.
    static func randomStep(_ node: H, cases: inout [String], investigations: inout [String], generator: inout some RandomNumberGenerator) async throws {
        let centre = centres.randomElement(using: &generator)!
        if cases.isEmpty || Int.random(in: 0..<8, using: &generator) == 0 {
            let jurisdiction = centres.randomElement(using: &generator)!
            let answer = try await node.call(.post, "/v1/cases", as: centre, H.application(jurisdiction: jurisdiction, urgent: Bool.random(using: &generator),
                                                                                               hardship: ["basis": "promise", "statement": "承诺"]))
            if let id = answer.json["caseId"]?.stringValue { cases.append(id) }
            return
        }
        if !investigations.isEmpty, Int.random(in: 0..<4, using: &generator) == 0 {
            let id = investigations.randomElement(using: &generator)!
            let view = try await node.call(.get, "/v1/investigations/\(id)", as: centre, role: .auditor)
            let version = view.json["version"]?.integerValue ?? 0
            // Mostly the centres whose turn it is, sometimes anyone.
            let answering = [view.json["toCentre"], view.json["fromCentre"]].compactMap { $0?.stringValue.flatMap(CentreID.init(rawValue:)) }
            let actor = Int.random(in: 0..<5, using: &generator) == 0 ? centre : answering.randomElement(using: &generator) ?? centre
            let (action, body): (String, JSONValue) = [
                ("accept", [:]), ("decline", ["reason": "r"]), ("assign", ["lawyer": "l", "firm": "f"]),
                ("report", ["findings": "f"]), ("acknowledge", [:]),
            ].randomElement(using: &generator)!
            var fields: [String: JSONValue] = [:]
            if case .object(let given) = body { fields = given }
            fields["expectedVersion"] = .integer(version)
            try await node.call(.post, "/v1/investigations/\(id)/\(action)", as: actor, .object(fields))
            return
        }
        let id = cases.randomElement(using: &generator)!
        let view = try await node.call(.get, "/v1/cases/\(id)", as: centre, role: .auditor)
        let version = view.json["version"]?.integerValue ?? 0
        let turn = (view.json["transferTarget"]?.stringValue ?? view.json["owner"]?.stringValue).flatMap(CentreID.init(rawValue:))
        let actor = Int.random(in: 0..<5, using: &generator) == 0 ? centre : turn ?? centre
        if Int.random(in: 0..<10, using: &generator) == 0 {
            let answer = try await node.call(.post, "/v1/cases/\(id)/investigations", as: actor,
                                             ["toCentre": .string(centres.randomElement(using: &generator)!.rawValue), "questions": ["q"], "dueDays": 5])
            if let investigation = answer.json["investigationId"]?.stringValue { investigations.append(investigation) }
            return
        }
        let (action, body): (String, JSONValue) = [
            ("assessment", ["eligible": true, "reason": "ok"]), ("assessment", ["eligible": true, "reason": "ok", "missing": ["身份证"]]),
            ("assessment", ["eligible": false, "reason": "no"]), ("materials", ["documents": [["name": "d", "mediaType": "application/pdf", "size": 1, "sha256": .string(String(repeating: "cd", count: 32))]]]),
            ("transfer", ["toCentre": .string(centres.randomElement(using: &generator)!.rawValue), "reason": "r"]), ("transfer/accept", [:]),
            ("transfer/return", ["reason": "r"]), ("transfer/return", ["reasonCode": "duplicate", "reason": "r"]),
            ("transfer/cancel", ["reason": "r"]), ("decision", ["granted": true, "reason": "ok"]), ("decision", ["granted": false, "reason": "no"]),
            ("lawyer", ["lawyer": "l", "firm": "f"]), ("advance-aid", ["reason": "r"]), ("originals-collected", [:]),
            ("close", ["outcome": "o", "recoveredAmount": 0]), ("archive", [:]),
        ].randomElement(using: &generator)!
        var fields: [String: JSONValue] = [:]
        if case .object(let given) = body { fields = given }
        fields["expectedVersion"] = .integer(version)
        try await node.call(.post, "/v1/cases/\(id)/\(action)", as: actor, .object(fields))
    }

    @Test func aReplayFromZeroMatchesTheLiveInboxAfterRestartsAndCrashes() async throws {
        try await H.run { node in
            var generator = SystemRandomNumberGenerator()
            var cases: [String] = []
            var investigations: [String] = []
            var crashes = 0
            for _ in 0..<2000 {
                try await Self.randomStep(node, cases: &cases, investigations: &investigations, generator: &generator)
                guard Int.random(in: 0..<40, using: &generator) == 0 else { continue }
                // A projector starts, runs a while with a random batch size, sometimes crashes mid-batch, and stops.
                let failing = FailingProjection(inner: ProjectorService.all.randomElement(using: &generator)!, failAt: Int.random(in: 1...60, using: &generator), counter: .init())
                let projector = Projector(projection: failing, client: node.database.service, batchSize: Int.random(in: 1...50, using: &generator))
                do {
                    try await projector.catchUp()
                } catch is FailingProjection.Crash {
                    crashes += 1
                }
            }
            try await node.project()
            let events = try await node.logSize()
            #expect(events > 300, "2,000 commands (most refused) should leave a substantial log, got \(events) events")
            #expect(crashes > 0, "some projector runs should have crashed mid-batch")

            let replay = Replay(projections: ProjectorService.all, into: ProjectionSchema("projections_replay")!, client: node.database.owner)
            try await replay.rebuild(batchSize: 97)
            let report = try await replay.compareWithLive()
            #expect(report.position == Int64(events))
            #expect(report.matches, "\(report.comparisons.map { "\($0.live) vs \($0.rebuilt)" })")
            #expect(report.comparisons.first { $0.live.table == "inbox_items" }.map { $0.live.rows > 0 } == true)

            // The case view holds, for every case and request, the state the domain folds from its stream.
            let records = CaseRecords(client: node.database.service)
            let reader = EventReader(client: node.database.service)
            var requests = 0
            for id in cases {
                let events = try await reader.readStream("case-\(id)").compactMap { try CaseEvent.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event }
                let record = try #require(try await records.record(id))
                #expect(record.state == CaseState(replaying: events), "case \(id)")
                for investigation in record.investigations {
                    let stream = try await reader.readStream("investigation-\(investigation.investigationID)")
                    let folded = Investigation.State(replaying: try stream.compactMap { try Investigation.Event.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event })
                    #expect(investigation.state == folded, "investigation \(investigation.investigationID)")
                    requests += 1
                }
            }
            #expect(requests == investigations.count)

            // The comparison can fail: a live row altered behind the projector's back is found.
            _ = try await node.database.owner.query("UPDATE projections.inbox_items SET urgent = NOT urgent WHERE item_id = (SELECT min(item_id) FROM projections.inbox_items)")
            let tampered = try await replay.compareWithLive()
            #expect(!tampered.matches && tampered.comparisons.filter { !$0.matches }.map(\.live.table) == ["inbox_items"])
        }
    }
}

/// `tongban replay` as an auditor runs it.
@Suite("tongban replay")
struct ReplayCommandTests {
    typealias H = NodeHarness

    @Test func replayReportsSameOrDifferentAndSwapRepairs() async throws {
        try await H.run { node in
            _ = try await RefusalTests.assessedCase(node)
            _ = try await InboxTests.populate(node, count: 2, unassessed: 1)
            try await node.project()
            let owner = node.database.cluster.url(user: "tongban_owner", database: node.database.name)
            let clean = try await ServeCommandTests.tongban(["replay", "--database-url", owner])
            #expect(clean.status == 0 && clean.output.contains("OK: the live projections equal a replay of the log"), "\(clean.output)")

            _ = try await node.database.owner.query("DELETE FROM projections.inbox_items WHERE kind = 'review'")
            let broken = try await ServeCommandTests.tongban(["replay", "--database-url", owner])
            #expect(broken.status == 2, "\(broken.output)")
            #expect(broken.output.contains("DIFFERENT live inbox_items: 3 rows") && broken.output.contains("only rebuilt: (review/"), "\(broken.output)")

            let swapped = try await ServeCommandTests.tongban(["replay", "--database-url", owner, "--swap"])
            #expect(swapped.status == 0 && swapped.output.contains("the rebuild is now the live projections schema"), "\(swapped.output)")
            #expect(try await node.inbox(H.licang).count == 3, "the service role reads the swapped-in schema")
            #expect(try await ServeCommandTests.tongban(["replay", "--database-url", owner]).status == 0)

            let audit = try await ServeCommandTests.tongban(["replay", "--database-url", owner, "--as-of", "2"])
            #expect(audit.status == 0 && audit.output.contains("projections_as_of_2"), "\(audit.output)")
            #expect(try await node.database.count("SELECT count(*)::int FROM projections_as_of_2.inbox_items") == 1, "after two events: one case, assessed")
        }
    }
}

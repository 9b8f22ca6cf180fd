import CaseDomain
import Casework
import EventLog
import NodeServer
import Projections
import Testing

/// `GET /v1/stats`: durations from the events' times, late and overdue counts by each
/// centre's due dates.
@Suite("Statistics")
struct StatisticsTests {
    typealias H = NodeHarness

    static func at(hours: Int64) -> NodeClock {
        NodeClock(.fixed(Timestamp(millisecondsSinceEpoch: H.now.millisecondsSinceEpoch + hours * 3_600_000)))
    }

    @Test func timesToAssessAndDecideAndOverdueCountsPerCentre() async throws {
        try await H.run { node in
            var submitted: [String] = []
            for _ in 0..<2 {
                let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(hardship: ["basis": "promise", "statement": "承诺"], idNumber: H.distinctIDNumber()))
                submitted.append(try #require(created["caseId"]?.stringValue))
            }
            let cases = submitted
            try await H.run(on: node.database, clock: Self.at(hours: 2)) { later in
                for id in cases { try await later.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"]) }
            }
            try await H.run(on: node.database, clock: Self.at(hours: 26)) { later in
                try await later.expect(.ok, .post, "/v1/cases/\(cases[0])/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "ok"])
            }
            try await node.project()
            try await H.run(on: node.database, clock: Self.at(hours: 30)) { later in
                let stats = try await later.expect(.ok, .get, "/v1/stats", as: H.licang)
                let licang = try #require(Self.centre("qingdao-licang", in: stats))
                #expect(licang["assess"]?["completed"] == 2 && Self.number(licang["assess"]?["medianHours"]) == 2)
                #expect(licang["decide"]?["completed"] == 1 && Self.number(licang["decide"]?["p90Hours"]) == 24)
                #expect(licang["decide"]?["overdueNow"] == 0 && licang["assign-lawyer"]?["completed"] == nil)
            }
            // Ten days on, the undecided case and the unassigned lawyer are both overdue.
            try await H.run(on: node.database, clock: Self.at(hours: 240)) { later in
                let stats = try await later.expect(.ok, .get, "/v1/stats?from=2026-11-01T00:00:00Z", as: H.wulian)
                let licang = try #require(Self.centre("qingdao-licang", in: stats))
                #expect(licang["decide"]?["overdueNow"] == 1 && licang["assign-lawyer"]?["overdueNow"] == 1, "\(licang)")
            }
            let bad = try await node.call(.get, "/v1/stats?from=yesterday", as: H.licang)
            #expect(bad.status == .unprocessableContent && bad.json["errors"]?[0]?["field"] == "from")
        }
    }

    /// Clock skew between nodes is ordinary: a transfer requested at Rizhao and accepted at
    /// Qingdao, whose clock is behind, is a step of no time, flagged, never a constraint failure.
    @Test func aTransferAcceptedOnAClockBehindTheRequestersIsTimedAsZeroAndFlagged() async throws {
        try await H.run { node in
            let id = try await ParkingTests.submitted(node)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"])
            // Qingdao's clock is 30 s behind Rizhao's.
            let behind = NodeClock(.fixed(Timestamp(millisecondsSinceEpoch: H.now.millisecondsSinceEpoch - 30_000)))
            try await H.run(on: node.database, clock: behind) { qingdao in
                try await qingdao.expect(.ok, .post, "/v1/cases/\(id)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            }
            try await node.project()
            try await ParkingTests.expectAtHead(node)
            #expect(try await ParkedEvents(client: node.database.service).list().isEmpty)
            let clamped = try await node.database.count("""
                SELECT count(*)::int FROM projections.stats_intervals
                 WHERE measure = 'accept-transfer' AND subject = '\(id)' AND ended_at = started_at AND clock_skew
                """)
            #expect(clamped == 1, "the accept-transfer interval should end at its start, flagged as clock skew")
            let stats = try await node.expect(.ok, .get, "/v1/stats?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", as: H.licang)
            let licang = try #require(Self.centre("qingdao-licang", in: stats))
            #expect(licang["accept-transfer"]?["completed"] == 1 && Self.number(licang["accept-transfer"]?["medianHours"]) == 0, "\(licang)")
        }
    }

    /// A JSON number as a Double (the canonical form writes whole numbers as integers).
    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let integer)?: Double(integer)
        case .double(let double)?: double
        default: nil
        }
    }

    static func centre(_ id: String, in stats: JSONValue) -> JSONValue? {
        guard case .array(let centres)? = stats["centres"] else { return nil }
        return centres.first { $0["centre"]?.stringValue == id }?["measures"]
    }
}

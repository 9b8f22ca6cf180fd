import CaseDomain
import EventLog
import NodeServer
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
                let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(hardship: ["basis": "promise", "statement": "承诺"]))
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

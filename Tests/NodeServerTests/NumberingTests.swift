import CaseDomain
import Casework
import NodeServer
import Testing

/// Numbers are per centre and year, gapless and never given twice, however many grants
/// race for them.
@Suite("Case numbering")
struct NumberingTests {
    typealias H = NodeHarness

    @Test func concurrentGrantsAtOneCentreTakeGaplessNumbers() async throws {
        try await H.run { node in
            let count = 16
            var cases: [String] = []
            for _ in 0..<count {
                // Applied directly at Licang, which has jurisdiction: assessed complete, ready for decision.
                let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang,
                                                    H.application(hardship: ["basis": "promise", "statement": "本人承诺经济困难"], idNumber: H.distinctIDNumber()))
                let id = try #require(created["caseId"]?.stringValue)
                try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
                cases.append(id)
            }
            // A grant at another centre takes that centre's own register's first number.
            let wulianCase = try await RefusalTests.assessedCase(node)

            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for id in cases {
                    group.addTask {
                        let answer = try await node.call(.post, "/v1/cases/\(id)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "同意"])
                        #expect(answer.status == .ok, "\(answer.json)")
                        return answer.json["number"]?.stringValue
                    }
                }
                group.addTask {
                    try await node.call(.post, "/v1/cases/\(wulianCase)/decision", as: H.wulian, ["expectedVersion": 2, "granted": true, "reason": "ok"]).json["number"]?.stringValue
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            let expected = Set((1...count).map { Numbering.number(kind: .case, centre: H.licang, year: 2026, sequence: Int64($0)) })
            #expect(Set(numbers.compactMap { $0 }) == expected.union(["WULIAN-2026-000001"]), "numbers must be 1...\(count) with no gap or repeat")
            #expect(numbers.count == count + 1)
            #expect(try await node.database.count("SELECT count(*)::int FROM events WHERE stream_id = 'numbering-case-qingdao-licang-2026'") == count)
            // Each case shows the number the register gave it.
            for id in cases.prefix(3) {
                let view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
                #expect(view["number"]?.stringValue.map(expected.contains) == true)
            }
        }
    }

    @Test func numbersFollowTheFormatAndYear() {
        #expect(Numbering.number(kind: .case, centre: H.licang, year: 2026, sequence: 123) == "LICANG-2026-000123")
        #expect(Numbering.number(kind: .investigation, centre: H.huancui, year: 2027, sequence: 1) == "HUANCUI-XC-2027-000001")
        // 31 Dec 2026 17:00 UTC is already 1 Jan 2027 in China.
        #expect(Numbering.year(at: Timestamp(iso8601: "2026-12-31T17:00:00Z")!) == 2027)
        #expect(Numbering.year(at: Timestamp(iso8601: "2026-12-31T15:59:59Z")!) == 2026)
    }
}

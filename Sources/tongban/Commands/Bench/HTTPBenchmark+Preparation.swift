import CaseDomain
import Foundation
import LocalPostgres

/// The cases `bench http` prepares through the staff API before its loads: the busy
/// centre's full inbox, and for each transition a case of its own at the version it needs,
/// so that no request of the load is refused for a stale version.
struct HTTPBenchCases {
    /// Where the busy centre's inbox is filled and its cases read.
    static let busy = CentreID(rawValue: "qingdao-licang")!
    /// Where the submissions of the load, and the cases to transfer, come in: another
    /// centre of the node, so the busy centre's inbox stays at the size it was filled to.
    static let intake = CentreID(rawValue: "qingdao-huangdao")!
    /// Where the transfers go and are accepted.
    static let target = CentreID(rawValue: "qingdao-shinan")!

    /// A case id and the version it is at.
    struct Case: Sendable {
        var id: String
        var version: Int64
    }

    /// Submits `count` applications at the token's centre with `jurisdiction`.
    static func submit(_ count: Int, token: String, jurisdiction: CentreID, client: BenchStaffClient, workers: Int,
                       label: String) async throws -> [Case] {
        let first = Int.random(in: 0..<1_000_000_000)
        return try await BenchStaffClient.concurrently(count, workers: workers, progress: { done in
            if done % 2000 < workers * 100 { BenchFigures.say("\(label): \(done)/\(count)") }
        }) { index in
            let body = BenchStaffClient.application(jurisdiction: jurisdiction, applicant: first + index)
            return try Self.written(try await client.post("/v1/cases", body, token: token, expected: .created), idKey: "caseId")
        }
    }

    /// Assesses each case as eligible with complete materials.
    static func assess(_ cases: [Case], token: String, client: BenchStaffClient, workers: Int) async throws -> [Case] {
        try await BenchStaffClient.concurrently(cases.count, workers: workers) { index in
            let answer = try await client.post("/v1/cases/\(cases[index].id)/assessment", assessment(cases[index]), token: token, expected: .ok)
            return try Self.written(answer, idKey: "caseId")
        }
    }

    /// Requests the transfer of each case to ``target``.
    static func transfer(_ cases: [Case], token: String, client: BenchStaffClient, workers: Int) async throws -> [Case] {
        try await BenchStaffClient.concurrently(cases.count, workers: workers) { index in
            let answer = try await client.post("/v1/cases/\(cases[index].id)/transfer", transfer(cases[index]), token: token, expected: .ok)
            return try Self.written(answer, idKey: "caseId")
        }
    }

    static func assessment(_ file: Case) -> JSONValue {
        ["expectedVersion": .integer(file.version), "eligible": true, "reason": "符合受理条件", "missing": .array([])]
    }

    static func transfer(_ file: Case) -> JSONValue {
        ["expectedVersion": .integer(file.version), "toCentre": .string(target.rawValue), "reason": "由管辖地法律援助中心办理"]
    }

    static func acceptance(_ file: Case) -> JSONValue {
        ["expectedVersion": .integer(file.version)]
    }

    /// The case a write answered, at the version it answered.
    private static func written(_ answer: JSONValue, idKey: String) throws -> Case {
        guard let id = answer[idKey]?.stringValue, let version = answer["version"]?.integerValue else {
            throw BenchProcessError(message: "a write answered without \(idKey) and version: \(answer)")
        }
        return Case(id: id, version: version)
    }

    /// The busy centre's open inbox items, read from the node's database.
    static func inboxItems(of centre: CentreID, cluster: LocalCluster, database: String) throws -> Int {
        let answer = try cluster.psql("SELECT count(*) FROM projections.inbox_items WHERE centre = '\(centre.rawValue)'", database: database)
        return Int(answer.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Waits until every projection has applied the whole log (the node's projector catches up).
    static func waitForProjections(cluster: LocalCluster, database: String, timeout: Duration = .seconds(600)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let behind = try cluster.psql("""
                SELECT (SELECT coalesce(max(global_position), 0) FROM events)
                       - coalesce((SELECT min(position) FROM projections.checkpoints), 0)
                """, database: database)
            if Int(behind.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1 <= 0 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchProcessError(message: "the node's projections did not catch up with its log within \(timeout)")
    }
}

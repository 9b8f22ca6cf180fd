import AsyncHTTPClient
import CaseDomain
import Foundation
import NIOCore
import NIOHTTP1

/// The staff API of a benchmark's node, called as staff call it, to put the node in the
/// state a measurement needs (a full inbox, cases ready for each transition).
struct BenchStaffClient: Sendable {
    let client: HTTPClient
    let baseURL: String

    /// A client holding up to `connections` keep-alive connections to `baseURL`.
    init(baseURL: String, connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    /// The status of `GET path`; nil when the node does not answer.
    func status(_ path: String) async -> UInt? {
        guard let response = try? await client.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(2)) else { return nil }
        return response.status.code
    }

    /// `POST path` with `body` as the staff member of `token`; the answer's body if it is
    /// `expected`, else an error naming the status and the problem the node answered.
    @discardableResult
    func post(_ path: String, _ body: JSONValue, token: String, expected: HTTPResponseStatus) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try CanonicalJSON.encode(body)))
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == expected else {
            throw BenchProcessError(message: "POST \(path) answered \(response.status.code), expected \(expected.code): \(String(buffer: answer))")
        }
        return try CanonicalJSON.decode(Array(buffer: answer))
    }

    /// Runs `work(index)` for every index below `count` on `workers` concurrent workers;
    /// returns the results in index order. `progress` hears the number done, now and then.
    static func concurrently<Result: Sendable>(_ count: Int, workers: Int, progress: @escaping @Sendable (Int) -> Void = { _ in },
                                               _ work: @escaping @Sendable (Int) async throws -> Result) async throws -> [Result] {
        try await withThrowingTaskGroup(of: [(Int, Result)].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var done: [(Int, Result)] = []
                    for index in stride(from: worker, to: count, by: workers) {
                        done.append((index, try await work(index)))
                        if worker == 0, done.count % 100 == 0 { progress(done.count * workers) }
                    }
                    return done
                }
            }
            var results = [Result?](repeating: nil, count: count)
            for try await done in group {
                for (index, result) in done { results[index] = result }
            }
            return results.map { $0! } // every index was done by its worker, or the group threw
        }
    }

    /// An application submitted at the token's centre with `jurisdiction` as the matter's
    /// jurisdiction centre (no certificate: a promise of hardship, so it waits for review),
    /// of the `applicant`th applicant: distinct applicants have no duplicate applications,
    /// so accepting and deciding their cases needs no conflict reason.
    static func application(jurisdiction: CentreID, applicant: Int = 0) -> JSONValue {
        .object([
            "applicant": .object(["name": "张某", "idNumber": .string("371121" + String(format: "%011d", applicant % 100_000_000_000) + "1"),
                                  "phone": "13800000000", "homeCity": "qingdao",
                                  "groups": .array(["migrant-worker"])]),
            "matter": .object(["litigation": true, "cause": "traffic-accident", "summary": "交通事故赔偿纠纷", "venue": "青岛市李沧区人民法院",
                               "jurisdictionCentre": .string(jurisdiction.rawValue)]),
            "urgent": false,
            "hardship": .object(["basis": "promise", "statement": "本人承诺家庭经济困难，无力支付律师费用"]),
            "documents": .array([.object(["name": "申请表.pdf", "mediaType": "application/pdf", "size": 48213,
                                          "sha256": .string(String(repeating: "ab", count: 32))])]),
            "consent": .object(["shareWithJurisdiction": true, "checksByOtherCities": true]),
        ])
    }
}

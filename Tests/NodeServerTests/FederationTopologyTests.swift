import CaseDomain
import Casework
import Crypto
import Federation
import Foundation
import NodeServer
import TestSupport
import Testing

/// Five city nodes on loopback in a line (`nodes[].peers`): rizhao – qingdao – weifang –
/// yantai – weihai. Each syncs with its neighbours only, yet every write reaches every node
/// through the relays, and a case crosses from one end to the other (its key and its scan
/// go to the node that needs them directly, not along the line).
@Suite("A federation whose nodes sync with their neighbours only", .serialized)
struct FederationTopologyTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    static let line = ["rizhao", "qingdao", "weifang", "yantai", "weihai"]
    /// Each node lists the next: the relation is symmetric, so that is the whole line.
    static let peers = ["rizhao": ["qingdao"], "qingdao": ["weifang"], "weifang": ["yantai"], "yantai": ["weihai"], "weihai": ["yantai"]]

    @Test func writesAtBothEndsReachEveryNodeThroughTheRelaysAndTheLogsEndIdentical() async throws {
        try await F.run(cities: Self.line, peers: Self.peers) { federation in
            let rizhao = federation["rizhao"], weihai = federation["weihai"]
            for (node, centre) in [(rizhao, Self.wulian), (weihai, Self.huancui), (rizhao, Self.wulian)] {
                let (status, answer) = try await federation.call(node, "POST", "/v1/cases", as: centre, NodeHarness.application(idNumber: NodeHarness.distinctIDNumber()))
                #expect(status == 201, "\(answer)")
            }
            try await F.waitUntil("the five logs are identical, with both ends' writes") {
                let logs = try await federation.logs()
                guard Set(logs.values).count == 1, let log = logs.values.first else { return false }
                return log.contains { $0.hasPrefix("rizhao/") } && log.contains { $0.hasPrefix("weihai/") }
            }
            // Each worker knows its neighbours only: the ends' events came through three relays.
            for (city, neighbours) in [("rizhao", ["qingdao"]), ("qingdao", ["rizhao", "weifang"]), ("weifang", ["qingdao", "yantai"]),
                                       ("yantai", ["weifang", "weihai"]), ("weihai", ["yantai"])] {
                let status = try #require(await federation[city].running.syncWorker?.peerStatus)
                #expect(status.map(\.node) == neighbours, "\(city) syncs with \(neighbours)")
            }
            for city in Self.line {
                #expect(try await federation[city].database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0, "\(city)")
            }
        }
    }

    /// Rizhao and Weihai are four hops apart: the transfer relays along the line, the
    /// case's key is granted to Weihai directly, and the scan Wulian uploaded is fetched
    /// by Weihai from Rizhao directly once Huancui takes part.
    @Test func aCaseIsTransferredBetweenTheEndsOfTheLine() async throws {
        try await F.run(cities: Self.line, peers: Self.peers) { federation in
            let rizhao = federation["rizhao"], weihai = federation["weihai"]
            let scan = Data("%PDF-1.7 张某申请表 日照".utf8)
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()
            let wulianToken = try await rizhao.running.server.tokens.issue(centre: Self.wulian, staff: "s", role: .staff, validity: .seconds(600))
            #expect(try await federation.request(rizhao, "PUT", "/v1/documents/\(sha256)", token: wulianToken,
                                                 headers: ["Content-Type": "application/pdf"], rawBody: scan).0 == 201)
            guard case .object(var application) = NodeHarness.application(jurisdiction: Self.huancui, idNumber: NodeHarness.distinctIDNumber()) else { Issue.record("no application"); return }
            application["documents"] = .array([.object(["name": "申请表.pdf", "mediaType": "application/pdf",
                                                        "size": .integer(Int64(scan.count)), "sha256": .string(sha256)])])
            let (created, answer) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, .object(application))
            #expect(created == 201, "\(answer)")
            let path = "/v1/cases/\(try #require(answer["caseId"]?.stringValue))"
            #expect(try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian,
                                              ["expectedVersion": 1, "eligible": true, "reason": "符合条件"]).0 == 200)
            #expect(try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian,
                                              ["expectedVersion": 2, "toCentre": "weihai-huancui", "reason": "案发地在环翠"]).0 == 200)

            try await F.waitUntil("the transfer is in Huancui's inbox on weihai") {
                let (_, inbox) = try await federation.call(weihai, "GET", "/v1/inbox", as: Self.huancui)
                return inbox["items"]?[0]?["kind"] == "incoming-transfer"
            }
            try await F.waitUntil("Huancui reads the applicant's name: the case key came from rizhao") {
                try await federation.call(weihai, "GET", path, as: Self.huancui).1["applicant"]?["name"] == "张某"
            }
            let (accepted, acceptance) = try await federation.call(weihai, "POST", "\(path)/transfer/accept", as: Self.huancui, ["expectedVersion": 3])
            #expect(accepted == 200, "\(acceptance)")
            try await F.waitUntil("rizhao sees Huancui own the case") {
                try await federation.call(rizhao, "GET", path, as: Self.wulian).1["owner"] == "weihai-huancui"
            }
            try await F.waitUntil("weihai holds the scan, fetched from rizhao") {
                try await weihai.database.count("SELECT count(*)::int FROM documents WHERE sha256 = '\(sha256)'") == 1
            }
            for city in ["qingdao", "weifang", "yantai"] {
                #expect(try await federation[city].database.count("SELECT count(*)::int FROM documents") == 0,
                        "\(city) relays the events but takes no part, and holds no scan")
            }
            try await F.waitUntil("the five logs are identical") { Set(try await federation.logs().values).count == 1 }
        }
    }
}

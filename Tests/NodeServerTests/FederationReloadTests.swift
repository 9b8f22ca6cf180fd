import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
@testable import LocalPostgres
import NodeServer
import TestSupport
import Testing

/// A city joins a running federation: Weihai starts with a federation file that names it,
/// Rizhao and Qingdao reload theirs (`tongban config reload`, SIGHUP) without ending their
/// processes, and Weihai catches up and receives a transfer. Real `tongban serve` processes.
@Suite("Reloading the federation file", .serialized)
struct FederationReloadTests {
    typealias S = ServeCommandTests

    /// One city's node as an operator sets it up: keys made by the CLI, a database, a port.
    struct City {
        let id: String
        let key: String
        let tokenKey: String
        let port: Int
        let pidFile: String
        let database: TestDatabase

        var url: String { "http://127.0.0.1:\(port)" }

        func serve(federation: String) -> [String] {
            [S.executable, "serve", "--federation", federation, "--node", id, "--key", key, "--token-key", tokenKey,
             "--database-url", database.cluster.url(user: LocalCluster.serviceRole, database: database.name),
             "--schema-dir", TestCluster.repositoryRoot + "/schema", "--pid-file", pidFile, "--sync-interval", "1"]
        }

        func token(_ centre: String) async throws -> String {
            S.issuedToken(try await S.tongban(["token", "issue", "--centre", centre, "--staff", "staff-1", "--token-key", tokenKey]))
        }
    }

    static func city(_ id: String, port: Int, database: TestDatabase) async throws -> City {
        let directory = S.temporary.appendingPathComponent("reload-\(id)-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let city = City(id: id, key: directory + "/\(id).key", tokenKey: directory + "/\(id).token.key", port: port,
                        pidFile: directory + "/serve.pid", database: database)
        #expect(try await S.tongban(["keys", "generate", "--node", id, "--out", city.key]).status == 0)
        #expect(try await S.tongban(["keys", "generate", "--node", id, "--purpose", "token", "--out", city.tokenKey]).status == 0)
        return city
    }

    /// The example federation with `cities` only, at their ports and with their keys.
    static func federation(_ cities: [City]) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        var file = try FederationFile.decode(data, source: "example", requirePublicKeys: false)
        file.matchingKey = Data(repeating: 0x5A, count: 32).base64EncodedString()
        file.nodes = try cities.map { city in
            var node = try #require(file.nodes.first { $0.id.rawValue == city.id })
            let key = try NodeSigningKey.read(node: node.id, from: city.key)
            node.url = city.url
            node.publicKey = key.publicKeyBase64
            node.encryptionKey = NodeEncryptionKey(derivedFrom: key).publicKeyBase64
            return node
        }
        file.directory = file.directory.restricted(to: Set(file.nodes.map(\.id)))
        return try file.encoded()
    }

    static func json(_ text: String) -> JSONValue { (try? CanonicalJSON.decode(Array(text.utf8))) ?? .null }

    static func waitUntil(_ what: String, seconds: Int = 90, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out after \(seconds) s waiting until \(what)")
        throw CancellationError()
    }

    @Test func aCityAddedByReloadingTheFileCatchesUpAndReceivesATransfer() async throws {
        try await withTestDatabase { rizhaoDB in
            try await withTestDatabase { qingdaoDB in
                try await withTestDatabase { weihaiDB in
                    let base = Int.random(in: 30_000..<32_000)
                    let rizhao = try await Self.city("rizhao", port: base, database: rizhaoDB)
                    let qingdao = try await Self.city("qingdao", port: base + 1, database: qingdaoDB)
                    let weihai = try await Self.city("weihai", port: base + 2, database: weihaiDB)
                    let path = S.temporary.appendingPathComponent("federation-reload-\(UUID()).json").path
                    try Self.federation([rizhao, qingdao]).write(to: URL(fileURLWithPath: path))
                    var servers = [rizhao, qingdao].map { S.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "INT", "240"] + $0.serve(federation: path)) }
                    defer { _ = try? ChildProcess.run(["/usr/bin/pkill", "-INT", "-f", "serve --federation \(path)"], captureOutput: false) }
                    for city in [rizhao, qingdao] {
                        try await Self.waitUntil("\(city.id) answers /health") { try await S.request("GET", city.url + "/health").0 == 200 }
                    }
                    let wulian = try await rizhao.token("rizhao-wulian")
                    let application = String(decoding: try CanonicalJSON.encode(NodeHarness.application()), as: UTF8.self)
                    let (created, first) = try await S.request("POST", rizhao.url + "/v1/cases", token: wulian, body: application)
                    #expect(created == 201, "\(first)")
                    try await Self.waitUntil("qingdao holds rizhao's first case") {
                        try await qingdaoDB.count("SELECT count(*)::int FROM events WHERE origin_node = 'rizhao'") > 0
                    }

                    // Weihai joins: it starts with the new file; the others reload theirs.
                    try Self.federation([rizhao, qingdao, weihai]).write(to: URL(fileURLWithPath: path))
                    servers.append(S.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "INT", "240"] + weihai.serve(federation: path)))
                    try await Self.waitUntil("weihai answers /health") { try await S.request("GET", weihai.url + "/health").0 == 200 }
                    for city in [rizhao, qingdao] {
                        let reload = try await S.tongban(["config", "reload", "--federation", path, "--pid-file", city.pidFile])
                        #expect(reload.status == 0 && reload.output.contains("rizhao, qingdao, weihai"), "\(reload.output)")
                    }
                    do {
                        try await Self.waitUntil("weihai caught up with rizhao's events") {
                            try await weihaiDB.count("SELECT count(*)::int FROM events WHERE origin_node = 'rizhao'")
                                == (try await rizhaoDB.count("SELECT count(*)::int FROM events WHERE origin_node = 'rizhao'"))
                        }
                    } catch {
                        _ = try? ChildProcess.run(["/usr/bin/pkill", "-INT", "-f", "serve --federation \(path)"], captureOutput: false)
                        for server in servers {
                            let output = (try? await server.value)?.output ?? ""
                            let lines = output.split(separator: "\n").filter { !$0.contains("request answered") }
                            Issue.record("serve printed: \(lines.prefix(40).joined(separator: "\n"))")
                        }
                        throw error
                    }

                    // ... and receives a transfer from Rizhao.
                    let (status, answer) = try await S.request("POST", rizhao.url + "/v1/cases", token: wulian,
                                                               body: String(decoding: try CanonicalJSON.encode(NodeHarness.application(jurisdiction: CentreID(rawValue: "weihai-huancui")!)), as: UTF8.self))
                    #expect(status == 201, "\(answer)")
                    let path2 = "/v1/cases/\(try #require(Self.json(answer)["caseId"]?.stringValue))"
                    let assessed = try await S.request("POST", rizhao.url + path2 + "/assessment", token: wulian, body: #"{"expectedVersion": 1, "eligible": true, "reason": "符合条件"}"#)
                    #expect(assessed.0 == 200, "\(assessed.1)")
                    let transferred = try await S.request("POST", rizhao.url + path2 + "/transfer", token: wulian,
                                                          body: #"{"expectedVersion": 2, "toCentre": "weihai-huancui", "reason": "管辖在环翠"}"#)
                    #expect(transferred.0 == 200, "\(transferred.1)")
                    let huancui = try await weihai.token("weihai-huancui")
                    try await Self.waitUntil("the transfer is in Huancui's inbox on weihai") {
                        Self.json(try await S.request("GET", weihai.url + "/v1/inbox", token: huancui).1)["items"]?[0]?["kind"] == "incoming-transfer"
                    }

                    // A file the node cannot go on with is refused by the node itself; it keeps serving.
                    try Self.federation([qingdao, weihai]).write(to: URL(fileURLWithPath: path))
                    let pid = try #require(Int32(String(contentsOfFile: rizhao.pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
                    #expect(kill(pid, SIGHUP) == 0)
                    try await Task.sleep(for: .seconds(1))
                    #expect(try await S.request("GET", rizhao.url + "/health").0 == 200)

                    _ = try ChildProcess.run(["/usr/bin/pkill", "-INT", "-f", "serve --federation \(path)"], captureOutput: false)
                    for (city, server) in zip([rizhao, qingdao, weihai], servers) {
                        let outcome = try await server.value
                        #expect(outcome.status == 0, "\(city.id) stops cleanly: \(outcome.output)")
                        if city.id == "rizhao" {
                            #expect(outcome.output.contains("node rizhao reloaded"), "\(outcome.output)")
                            #expect(outcome.output.contains("reload refused"), "\(outcome.output)")
                        }
                    }
                }
            }
        }
    }
}

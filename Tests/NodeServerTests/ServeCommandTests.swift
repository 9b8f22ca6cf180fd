import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
@testable import LocalPostgres
import NodeServer
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tongban serve` and `tongban token issue` as an operator runs them: a real process on
/// a real port, reached over HTTP.
@Suite("tongban serve and token issue")
struct ServeCommandTests {
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tongban").path
    static let temporary = FileManager.default.temporaryDirectory

    static func tongban(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await onOwnThread { try ChildProcess.run([executable] + arguments, captureOutput: true) }
    }

    /// Runs a long-lived command (a served node) on a thread of its own: waiting for it on
    /// the concurrency pool would hold one of its few threads for the child's whole life
    /// and starve every other test.
    static func runInBackground(_ command: [String]) -> Task<ChildProcess.Outcome, any Error> {
        Task { try await onOwnThread { try ChildProcess.run(command, captureOutput: true) } }
    }

    /// A federation file whose `qingdao` node listens on `port` with the key at `keyPath`.
    static func federation(port: Int, keyPath: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        var file = try FederationFile.decode(data, source: "example", requirePublicKeys: false)
        for index in file.nodes.indices {
            file.nodes[index].publicKey = NodeSigningKey.generate(for: file.nodes[index].id).publicKeyBase64
        }
        let qingdao = try #require(file.nodes.firstIndex { $0.id.rawValue == "qingdao" })
        file.nodes[qingdao].url = "http://127.0.0.1:\(port)"
        file.nodes[qingdao].publicKey = try String(contentsOfFile: keyPath + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let path = temporary.appendingPathComponent("federation-\(UUID()).json").path
        try file.encoded().write(to: URL(fileURLWithPath: path))
        return path
    }

    static func request(_ method: String, _ url: String, token: String? = nil, body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// A node `qingdao` ready to serve over `database`: fresh event and token keys, a
    /// federation file naming it on a free port, and the `serve` command line.
    static func servableNode(_ database: TestDatabase) async throws -> (keyPath: String, tokenKeyPath: String, port: Int, federation: String, serve: [String]) {
        let keyPath = temporary.appendingPathComponent("qingdao-\(UUID()).key").path
        let tokenKeyPath = temporary.appendingPathComponent("qingdao-\(UUID()).token.key").path
        #expect(try await tongban(["keys", "generate", "--node", "qingdao", "--out", keyPath]).status == 0)
        #expect(try await tongban(["keys", "generate", "--node", "qingdao", "--purpose", "token", "--out", tokenKeyPath]).status == 0)
        let port = Int.random(in: 20_000..<30_000)
        let federation = try federation(port: port, keyPath: keyPath)
        let url = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)
        return (keyPath, tokenKeyPath, port, federation, [executable, "serve", "--federation", federation, "--node", "qingdao", "--key", keyPath,
                                                          "--token-key", tokenKeyPath, "--database-url", url, "--schema-dir", TestCluster.repositoryRoot + "/schema"])
    }

    /// `tongban token issue`'s token (its standard output's line; the jti line is standard error's).
    static func issuedToken(_ outcome: ChildProcess.Outcome) -> String {
        outcome.output.split(separator: "\n").first { !$0.hasPrefix("jti ") }.map(String.init) ?? ""
    }

    @Test func aServedNodeTakesAnApplicationWithAnIssuedTokenAndStopsOnSIGINT() async throws {
        try await withTestDatabase { database in
            let (_, tokenKeyPath, port, federation, serve) = try await Self.servableNode(database)
            let server = Self.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "INT", "120"] + serve)
            var healthy = false
            for _ in 0..<100 where !healthy {
                healthy = (try? await Self.request("GET", "http://127.0.0.1:\(port)/health").0) == 200
                if !healthy { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(healthy, "the node should answer /health")

            let issued = try await Self.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "李某", "--token-key", tokenKeyPath])
            #expect(issued.status == 0, "\(issued.output)")
            let token = Self.issuedToken(issued)
            let body = String(decoding: try CanonicalJSON.encode(NodeHarness.application(hardship: ["basis": "promise", "statement": "承诺"])), as: UTF8.self)
            let (status, answer) = try await Self.request("POST", "http://127.0.0.1:\(port)/v1/cases", token: token, body: body)
            #expect(status == 201, "\(answer)")
            #expect(try await Self.request("POST", "http://127.0.0.1:\(port)/v1/cases", body: body).0 == 401)
            #expect(try await Self.request("GET", "http://127.0.0.1:\(port)/ready").0 == 200)
            #expect(try await database.count("SELECT count(*)::int FROM events WHERE type = 'ApplicationSubmitted'") == 1)

            // Ctrl-C, as an operator would (the timeout above is only a guard).
            _ = try ChildProcess.run(["/usr/bin/pkill", "-INT", "-f", "serve --federation \(federation)"], captureOutput: false)
            let outcome = try await server.value
            #expect(outcome.status == 0, "serve should stop cleanly on SIGINT: \(outcome.output)")
            #expect(outcome.output.contains("node qingdao serving centres"), "\(outcome.output)")
        }
    }

    /// SIGTERM in the middle of a write load: `serve` stops taking requests, finishes the
    /// ones in flight, exits 0, and every application it acknowledged is in the log and
    /// readable once the node is started again.
    @Test func aSIGTERMDuringAWriteLoadLosesNoAcknowledgedWrite() async throws {
        try await withTestDatabase { database in
            let (_, tokenKeyPath, port, federation, arguments) = try await Self.servableNode(database)
            @Sendable func start() async throws -> Task<ChildProcess.Outcome, any Error> {
                let server = Self.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "KILL", "120"] + arguments)
                for _ in 0..<100 {
                    if (try? await Self.request("GET", "http://127.0.0.1:\(port)/ready").0) == 200 { return server }
                    try await Task.sleep(for: .milliseconds(100))
                }
                Issue.record("the node did not become ready")
                return server
            }
            let server = try await start()
            let token = Self.issuedToken(try await Self.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "李某", "--token-key", tokenKeyPath]))
            let body = String(decoding: try CanonicalJSON.encode(NodeHarness.application(hardship: ["basis": "promise", "statement": "承诺"])), as: UTF8.self)

            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { writers in
                for _ in 0..<6 {
                    writers.addTask {
                        var cases: [String] = []
                        while let (status, answer) = try? await Self.request("POST", "http://127.0.0.1:\(port)/v1/cases", token: token, body: body),
                              status == 201 {
                            guard let id = try CanonicalJSON.decode(Array(answer.utf8))["caseId"]?.stringValue else { break }
                            cases.append(id)
                        }
                        return cases
                    }
                }
                let deadline = ContinuousClock.now + .seconds(30)
                while try await database.count("SELECT count(*)::int FROM events") < 60, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                _ = try ChildProcess.run(["/usr/bin/pkill", "-TERM", "-f", "serve --federation \(federation)"], captureOutput: false)
                return try await writers.reduce(into: []) { $0 += $1 }
            }
            let outcome = try await server.value
            #expect(outcome.status == 0, "serve should drain and exit 0 on SIGTERM: \(outcome.output)")
            #expect(outcome.output.contains("request answered") && outcome.output.contains("route=/v1/cases"), "requests are logged: \(outcome.output.prefix(2000))")
            for personal in ["371121198001011234", "13800000000", "张某"] {
                #expect(!outcome.output.contains(personal), "the log holds personal data: \(personal)")
            }
            #expect(acknowledged.count >= 60, "the load ran before the signal")

            let logged = try await database.count("""
                SELECT count(*)::int FROM events WHERE type = 'ApplicationSubmitted'
                   AND stream_id = ANY(ARRAY['\(acknowledged.map { "case-" + $0 }.joined(separator: "','"))'])
                """)
            #expect(logged == acknowledged.count, "every acknowledged application is in the log")
            let restarted = try await start()
            for id in [acknowledged.first, acknowledged.last].compactMap({ $0 }) {
                #expect(try await Self.request("GET", "http://127.0.0.1:\(port)/v1/cases/\(id)", token: token).0 == 200)
            }
            _ = try ChildProcess.run(["/usr/bin/pkill", "-TERM", "-f", "serve --federation \(federation)"], captureOutput: false)
            #expect(try await restarted.value.status == 0)
        }
    }

    @Test func configCheckPassesASoundNodeAndSaysWhatIsWrongWithAnother() async throws {
        try await withTestDatabase { database in
            let keyPath = Self.temporary.appendingPathComponent("qingdao-\(UUID()).key").path
            let otherKeyPath = Self.temporary.appendingPathComponent("rizhao-\(UUID()).key").path
            #expect(try await Self.tongban(["keys", "generate", "--node", "qingdao", "--out", keyPath]).status == 0)
            #expect(try await Self.tongban(["keys", "generate", "--node", "rizhao", "--out", otherKeyPath]).status == 0)
            let federation = try Self.federation(port: 1, keyPath: keyPath)
            let schema = TestCluster.repositoryRoot + "/schema"
            let service = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)
            let owner = database.cluster.url(user: LocalCluster.ownerRole, database: database.name)

            let sound = try await Self.tongban(["config", "check", "--federation", federation, "--node", "qingdao", "--key", keyPath,
                                          "--database-url", service, "--schema-dir", schema])
            #expect(sound.status == 0 && sound.output.contains("OK: the settings are sound") && sound.output.contains("connected as tongban_service"),
                    "\(sound.output)")
            #expect(sound.output.contains("WARNING:") && sound.output.contains("has no matchingKey"),
                    "a federation without a matching key recognises certificates only where they were issued: \(sound.output)")
            let wrong = try await Self.tongban(["config", "check", "--federation", federation, "--node", "qingdao", "--key", otherKeyPath,
                                          "--database-url", owner, "--schema-dir", schema])
            #expect(wrong.status == 1 && wrong.output.contains("is not qingdao's key") && wrong.output.contains("connected as tongban_owner")
                    && wrong.output.contains("2 problem(s)"), "\(wrong.output)")
            let unknown = try await Self.tongban(["config", "check", "--federation", federation, "--node", "harbin"])
            #expect(unknown.status == 1 && unknown.output.contains("--node harbin: not a node"), "\(unknown.output)")
        }
    }

    /// The systemd unit's commands, with the example environment, are ones `tongban` takes:
    /// they get as far as reading the (absent) files the example names.
    @Test func theSystemdUnitRunsCommandsTongbanTakes() throws {
        let directory = TestCluster.repositoryRoot + "/deploy/systemd/"
        let unit = try String(contentsOfFile: directory + "tongban@.service", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in try String(contentsOfFile: directory + "tongban.env.example", encoding: .utf8).split(separator: "\n")
        where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1)
            environment[String(parts[0])] = String(parts[1])
        }
        #expect(environment["TONGBAN_DATABASE_URL"]?.hasPrefix("postgres://tongban_service@") == true)
        let commands = unit.split(separator: "\n").filter { $0.hasPrefix("ExecStart") }
        #expect(commands.count == 2)
        for command in commands {
            var line = String(command.drop { $0 != "=" }.dropFirst()).replacingOccurrences(of: "%i", with: "qingdao")
            for (name, value) in environment { line = line.replacingOccurrences(of: "${\(name)}", with: value) }
            #expect(!line.contains("${"), "an unset variable in \(line)")
            var arguments = line.split(separator: " ").map(String.init)
            #expect(arguments.first == "/usr/local/bin/tongban")
            arguments[0] = Self.executable
            let outcome = try ChildProcess.run(arguments, captureOutput: true)
            #expect(outcome.status != 0 && outcome.output.contains("/etc/tongban/federation.json"), "\(line): \(outcome.output)")
            for complaint in ["Unknown option", "Missing expected argument", "Unexpected argument"] {
                #expect(!outcome.output.contains(complaint), "\(line): \(outcome.output)")
            }
        }
    }

    @Test func serveAndTokenIssueNameWhatIsWrong() async throws {
        let keyPath = Self.temporary.appendingPathComponent("rizhao-\(UUID()).key").path
        let qingdaoKeyPath = Self.temporary.appendingPathComponent("qingdao-\(UUID()).key").path
        #expect(try await Self.tongban(["keys", "generate", "--node", "rizhao", "--out", keyPath]).status == 0)
        #expect(try await Self.tongban(["keys", "generate", "--node", "qingdao", "--out", qingdaoKeyPath]).status == 0)
        let federation = try Self.federation(port: 1, keyPath: qingdaoKeyPath)
        let wrongKey = try await Self.tongban(["serve", "--federation", federation, "--node", "qingdao", "--key", keyPath, "--token-key", "/nonexistent", "--database-url", "postgres://u@127.0.0.1:1/d"])
        #expect(wrongKey.status != 0 && wrongKey.output.contains("is not qingdao's key"), "\(wrongKey.output)")
        let unknownNode = try await Self.tongban(["serve", "--federation", federation, "--node", "harbin", "--key", keyPath, "--token-key", "/nonexistent", "--database-url", "postgres://u@127.0.0.1:1/d"])
        #expect(unknownNode.status != 0 && unknownNode.output.contains("--node harbin: not a node"), "\(unknownNode.output)")
        let clock = try await Self.tongban(["serve", "--federation", federation, "--node", "qingdao", "--key", keyPath, "--token-key", "/nonexistent", "--clock", "fixed:2026-01-01T00:00:00Z"])
        #expect(clock.status != 0 && clock.output.contains("need TONGBAN_MODE=test"), "\(clock.output)")
        for timeout in ["0", "3601", "-5", "9999999999999999999999"] {
            let refused = try await Self.tongban(["serve", "--federation", federation, "--node", "qingdao", "--key", qingdaoKeyPath, "--token-key", "/nonexistent",
                                                  "--request-timeout", timeout])
            #expect(refused.status != 0 && refused.output.contains("--request-timeout"), "\(timeout): \(refused.output)")
        }
        let badCentre = try await Self.tongban(["token", "issue", "--centre", "Licang", "--staff", "x", "--token-key", keyPath])
        #expect(badCentre.status != 0 && badCentre.output.contains("--centre 'Licang' is not a centre id"), "\(badCentre.output)")
        let badRole = try await Self.tongban(["token", "issue", "--centre", "rizhao-wulian", "--staff", "x", "--role", "mayor", "--token-key", keyPath])
        #expect(badRole.status != 0 && badRole.output.contains("mayor"), "\(badRole.output)")
    }
}

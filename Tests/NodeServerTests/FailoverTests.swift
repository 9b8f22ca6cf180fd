import CaseDomain
import Foundation
@testable import LocalPostgres
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A city's node on two database servers, as `deploy/replication/` sets it up: PostgreSQL's
/// streaming replication with a synchronous standby, `serve` given both hosts with
/// `target_session_attrs=read-write`, the primary lost under write load and the standby
/// promoted.
@Suite("A node on a primary and a synchronous standby")
struct FailoverTests {
    /// What the writers saw.
    struct Outcome: Sendable {
        var acknowledged: [String] = []
        var statuses: [Int: Int] = [:]
        var refused = 0
        var slowest: Duration = .zero
    }

    /// A TCP port of loopback nobody listens on now (the kernel's pick).
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        try #require(bound, "no free port on loopback")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The writers' session: it gives a request up after 20 s without an answer (a
    /// request's own `timeoutInterval` is not applied here; the default session waits 60 s).
    static let writers: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 20
        return URLSession(configuration: configuration)
    }()

    static func submit(_ port: Int, token: String, body: String) async -> (status: Int?, caseID: String?, took: Duration) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/cases")!, timeoutInterval: 20)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let started = ContinuousClock.now
        guard let (data, response) = try? await writers.data(for: request), let status = (response as? HTTPURLResponse)?.statusCode else {
            return (nil, nil, started.duration(to: .now))
        }
        let caseID = status == 201 ? (try? CanonicalJSON.decode(Array(data)))?["caseId"]?.stringValue : nil
        return (status, caseID, started.duration(to: .now))
    }

    @Test(.timeLimit(.minutes(3)))
    func theStandbyPromotedUnderWriteLoadTakesOverWithNoAcknowledgedWriteLost() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-failover-\(UUID())").path
        let primary = try LocalCluster(dataDirectory: root + "/primary", port: try Self.freePort())
        let standby = try LocalCluster(dataDirectory: root + "/standby", port: try Self.freePort())
        defer {
            try? primary.crash()
            try? standby.crash()
            try? FileManager.default.removeItem(atPath: root)
        }
        try primary.start()
        try primary.createDatabase("tongban")
        try standby.startAsStandby(of: primary, name: "tongban_standby")
        try primary.requireSynchronousStandby("tongban_standby")
        for _ in 0..<100 where try primary.standbys()["tongban_standby"] != "sync" { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try primary.standbys() == ["tongban_standby": "sync"], "the standby streams synchronously before the load")
        let migrated = try await ServeCommandTests.tongban(["migrate", "--database-url", primary.url(user: LocalCluster.ownerRole, database: "tongban"),
                                                      "--schema-dir", TestCluster.repositoryRoot + "/schema"])
        try #require(migrated.status == 0, "\(migrated.output)")

        let temporary = ServeCommandTests.temporary
        let keyPath = temporary.appendingPathComponent("qingdao-\(UUID()).key").path
        let tokenKeyPath = temporary.appendingPathComponent("qingdao-\(UUID()).token.key").path
        let pidPath = temporary.appendingPathComponent("qingdao-\(UUID()).pid").path
        #expect(try await ServeCommandTests.tongban(["keys", "generate", "--node", "qingdao", "--out", keyPath]).status == 0)
        #expect(try await ServeCommandTests.tongban(["keys", "generate", "--node", "qingdao", "--purpose", "token", "--out", tokenKeyPath]).status == 0)
        let port = try Self.freePort()
        let federation = try ServeCommandTests.federation(port: port, keyPath: keyPath)
        let url = "postgres://\(LocalCluster.serviceRole)@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/tongban?target_session_attrs=read-write"
        let server = ServeCommandTests.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "KILL", "150", ServeCommandTests.executable, "serve",
                                                        "--federation", federation, "--node", "qingdao", "--key", keyPath, "--token-key", tokenKeyPath,
                                                        "--database-url", url, "--schema-dir", TestCluster.repositoryRoot + "/schema", "--no-sync",
                                                        "--pid-file", pidPath])
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await ServeCommandTests.request("GET", "http://127.0.0.1:\(port)/ready").0) == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the node should become ready on the primary")
        let token = ServeCommandTests.issuedToken(try await ServeCommandTests.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "李某",
                                                                                 "--token-key", tokenKeyPath]))
        let body = String(decoding: try CanonicalJSON.encode(NodeHarness.application(hardship: ["basis": "promise", "statement": "承诺"])), as: UTF8.self)

        let clock = ContinuousClock()
        let (outcome, acknowledgedBeforeCrash) = try await withThrowingTaskGroup(of: Outcome.self) { writers in
            let stopAt = StopSignal()
            for _ in 0..<6 {
                writers.addTask {
                    var outcome = Outcome()
                    while await !stopAt.stopped {
                        let (status, caseID, took) = await Self.submit(port, token: token, body: body)
                        outcome.slowest = max(outcome.slowest, took)
                        if let status { outcome.statuses[status, default: 0] += 1 } else { outcome.refused += 1 }
                        if let caseID { outcome.acknowledged.append(caseID) } else { try? await Task.sleep(for: .milliseconds(50)) }
                    }
                    return outcome
                }
            }
            func logged() throws -> Int { Int(try standby.psql("SELECT count(*) FROM events", database: "tongban").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
            let loadDeadline = clock.now + .seconds(30)
            while try logged() < 60, clock.now < loadDeadline { try await Task.sleep(for: .milliseconds(50)) }
            // The machine is lost: no checkpoint, connections cut. Then the operator promotes the standby.
            try primary.crash()
            let before = try logged()
            try await Task.sleep(for: .seconds(1))
            try standby.promote()
            #expect(try !standby.isInRecovery(), "the standby was promoted")
            let recoverDeadline = clock.now + .seconds(40)
            while try logged() < before + 60, clock.now < recoverDeadline { try await Task.sleep(for: .milliseconds(100)) }
            await stopAt.stop()
            return (try await writers.reduce(into: Outcome()) { total, one in
                total.acknowledged += one.acknowledged
                total.statuses.merge(one.statuses, uniquingKeysWith: +)
                total.refused += one.refused
                total.slowest = max(total.slowest, one.slowest)
            }, before)
        }

        let pid = try String(contentsOfFile: pidPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try ChildProcess.run(["/bin/kill", "-TERM", pid], captureOutput: false)
        let served = try await server.value
        #expect(served.status == 0, "serve should stop cleanly on SIGTERM after the failover: \(served.output.suffix(3000))")
        #expect(served.output.contains("database primary 127.0.0.1:\(primary.port): takes writes, synchronous standby tongban_standby"), "\(served.output.prefix(3000))")
        #expect(served.output.contains("lost its database primary: 127.0.0.1:\(primary.port)"), "\(served.output.suffix(3000))")
        #expect(served.output.contains("database primary 127.0.0.1:\(standby.port): takes writes"), "serve moved to the promoted standby: \(served.output.suffix(3000))")

        let events = Int(try standby.psql("SELECT count(*) FROM events", database: "tongban").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(events >= acknowledgedBeforeCrash + 60, "writes went on after the promotion (\(acknowledgedBeforeCrash) events before, \(events) at the end)")
        #expect(Set(outcome.statuses.keys).isSubset(of: [201, 503]), "every refusal during the failover is a 503: \(outcome.statuses)")
        // Open finding: a request in flight when the primary is lost can go unanswered until
        // the client gives up (after 20 s here): it stays in the round the node
        // abandoned after its stop limit, whose connections nothing closes. Reported on every
        // run it happens in until a request deadline answers it with a 503.
        withKnownIssue("a request in flight at the primary's loss can stay unanswered in the abandoned round", isIntermittent: true) {
            #expect(outcome.slowest < .seconds(20), "no request hung: the slowest took \(outcome.slowest)")
        }
        let logged = Set(try standby.psql("SELECT stream_id FROM events WHERE type = 'ApplicationSubmitted'", database: "tongban")
            .split(separator: "\n").map { String($0.dropFirst("case-".count)) })
        let lost = outcome.acknowledged.filter { !logged.contains($0) }
        // A write is answered only after its commit (PostgresNIO returns an autocommit
        // statement's rows before PostgreSQL commits it at the Sync: AcknowledgedCommitTests).
        #expect(lost.isEmpty, "every acknowledged application is in the promoted standby's log; lost: \(lost.prefix(5)) of \(outcome.acknowledged.count)")
        let verified = try await ServeCommandTests.tongban(["verify", "--database-url", url, "--federation", federation])
        #expect(verified.status == 0 && verified.output.contains("OK: \(events) events"), "the chain is intact after the failover: \(verified.output)")
    }
}

/// Tells the writers when to stop.
actor StopSignal {
    private(set) var stopped = false
    func stop() { stopped = true }
}

import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import PostgresNIO
import TestSupport
import Testing

/// A request never waits forever: one queued for a database connection that no one
/// releases is stopped at the node's deadline and answered 503 with a problem.
@Suite("Requests are answered by their deadline")
struct RequestDeadlineTests {
    /// How many of the pool's connections the test holds, and when it has them all.
    actor Holders {
        private(set) var holding = 0
        func took() { holding += 1 }
    }

    @Test func aRequestQueuedForAConnectionIsAnswered503AtItsDeadlineAndTheNodeServesAgainAfter() async throws {
        try await withTestDatabase { database in
            let connections = 2
            var configuration = try DatabaseURL(database.cluster.url(user: LocalCluster.serviceRole, database: database.name)).configuration
            configuration.options.maximumConnections = connections
            let pool = PostgresClient(configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { running in
                running.addTask { await pool.run() }
                defer { running.cancelAll() }
                try await NodeHarness.run(on: database, clock: NodeClock(.fixed(NodeHarness.now)), client: pool, requestDeadline: .seconds(1)) { node in
                    try await node.expect(.ok, .get, "/v1/inbox", as: NodeHarness.licang)
                    let holders = Holders()
                    let (released, release) = AsyncStream<Void>.makeStream()
                    try await withThrowingTaskGroup(of: Void.self) { holding in
                        for _ in 0..<connections {
                            holding.addTask {
                                try await pool.withConnection { _ in
                                    await holders.took()
                                    for await _ in released {}
                                }
                            }
                        }
                        // Without a deadline the request would wait for these: they let go after 10 s, so that
                        // such a node fails this test instead of hanging it.
                        holding.addTask {
                            try? await Task.sleep(for: .seconds(10))
                            release.finish()
                        }
                        while await holders.holding < connections { try await Task.sleep(for: .milliseconds(20)) }
                        let started = ContinuousClock.now
                        let answer = try await node.call(.get, "/v1/inbox", as: NodeHarness.licang)
                        let waited = ContinuousClock.now - started
                        #expect(answer.status == .serviceUnavailable, "\(answer.json)")
                        #expect(answer.problemType == "unavailable", "\(answer.json)")
                        #expect(answer.json["detail"]?.stringValue?.contains("stopped the request after 1") == true, "\(answer.json)")
                        #expect(waited >= .seconds(1) && waited < .seconds(10), "answered after \(waited)")
                        release.finish()
                        holding.cancelAll()
                        try await holding.waitForAll()
                    }
                    // The connections are back: the node answers again, nothing left waiting.
                    try await node.expect(.ok, .get, "/v1/inbox", as: NodeHarness.licang)
                }
            }
        }
    }
}

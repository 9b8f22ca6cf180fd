import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import PostgresNIO
import TestSupport
import Testing

/// A prepared read whose preparation failed on a connection (the node started before the
/// migration it needs) works on that same connection once the schema is right.
@Suite("Prepared reads recover from a failed preparation")
struct PreparedReadTests {
    @Test func theInboxAnswersAgainOnTheSameConnectionOnceItsColumnIsBack() async throws {
        try await withTestDatabase { database in
            // One connection: every request of the test uses the connection the preparation failed on.
            var configuration = try DatabaseURL(database.cluster.url(user: LocalCluster.serviceRole, database: database.name)).configuration
            configuration.options.maximumConnections = 1
            let pool = PostgresClient(configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { running in
                running.addTask { await pool.run() }
                defer { running.cancelAll() }
                try await NodeHarness.run(on: database, clock: NodeClock(.fixed(NodeHarness.now)), client: pool) { node in
                    try await node.expect(.created, .post, "/v1/cases", as: NodeHarness.licang, NodeHarness.application())
                    try await node.project()
                    // The schema of a node not yet migrated: the column the inbox page reads is missing.
                    _ = try await database.owner.query("ALTER TABLE projections.inbox_cases RENAME COLUMN applicant_box TO applicant_box_missing")
                    let failed = try await node.call(.get, "/v1/inbox", as: NodeHarness.licang)
                    #expect(failed.status.code >= 500, "\(failed.json)")
                    _ = try await database.owner.query("ALTER TABLE projections.inbox_cases RENAME COLUMN applicant_box_missing TO applicant_box")
                    for _ in 0..<3 {
                        let page = try await node.expect(.ok, .get, "/v1/inbox", as: NodeHarness.licang)
                        #expect(page["items"]?[0]?["applicant"] == "张*", "\(page)")
                    }
                }
            }
        }
    }
}

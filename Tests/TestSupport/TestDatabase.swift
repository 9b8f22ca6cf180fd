import CaseDomain
import EventLog
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

/// The private test cluster: started once per test run (or by scripts/test beforehand),
/// each test on a fresh database of its own, migrated by `tongban`'s migrator.
public actor TestCluster {
    public static let shared = TestCluster()

    /// The repository's root, where `schema/` and `deploy/` are.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private var cluster: LocalCluster?

    /// The cluster, started on first use.
    public func started() throws -> LocalCluster {
        if let cluster { return cluster }
        let environment = ProcessInfo.processInfo.environment
        let port = environment["TONGBAN_TEST_PG_PORT"].flatMap(Int.init) ?? 54329
        let directory = environment["TONGBAN_TEST_PG_DATA"] ?? Self.repositoryRoot + "/.tongban/test-pg"
        let cluster = try LocalCluster(dataDirectory: directory, port: port)
        try cluster.start()
        self.cluster = cluster
        return cluster
    }
}

/// One test's database: clients as the service role, the owner and the superuser.
public struct TestDatabase: Sendable {
    public let name: String
    public let cluster: LocalCluster
    public let service: PostgresClient
    public let owner: PostgresClient
    public let superuser: PostgresClient

    /// One signing key per test node, made once per run.
    public static let nodeKeys: [NodeID: NodeSigningKey] = Dictionary(uniqueKeysWithValues: ["rizhao", "qingdao", "weihai", "weifang", "yantai", "jiaodong"].map {
        let node = NodeID(rawValue: $0)!
        return (node, NodeSigningKey.generate(for: node))
    })

    public static func key(_ node: String) -> NodeSigningKey { nodeKeys[NodeID(rawValue: node)!]! }

    /// The public keys of every test node.
    public static var keyring: OriginKeyring {
        OriginKeyring(Dictionary(uniqueKeysWithValues: nodeKeys.map { ($0.key, $0.value.publicKey) }))
    }

    /// An appender for `node` on this database.
    public func appender(node: String = "rizhao", maximumEventsPerCommit: Int = 2000, clock: NodeClock = .system) -> EventAppender {
        EventAppender(client: service, signingKey: Self.key(node), keyring: Self.keyring, clock: clock, maximumEventsPerCommit: maximumEventsPerCommit)
    }

    /// Rows of a query run as the superuser, for checks that bypass the service.
    public func count(_ sql: String) async throws -> Int {
        let rows = try await superuser.query(PostgresQuery(unsafeSQL: sql))
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}

/// Runs `body` on a fresh, migrated database; drops it afterwards. The test holds one of
/// the ``TestSlots`` meanwhile.
public func withTestDatabase<Result: Sendable>(_ body: (TestDatabase) async throws -> Result) async throws -> Result {
    try await TestSlots.withSlot { try await withFreshDatabase(body) }
}

private func withFreshDatabase<Result: Sendable>(_ body: (TestDatabase) async throws -> Result) async throws -> Result {
    let cluster = try await TestCluster.shared.started()
    let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    try await onOwnThread { try cluster.createDatabase(String(name)) }
    // Tests run side by side, each node of a multi-node test with its own databases: the
    // pools stay small so that together they fit the private cluster's max_connections.
    func client(_ user: String, connections: Int = 6) throws -> PostgresClient {
        var configuration = try DatabaseURL(cluster.url(user: user, database: String(name))).configuration
        configuration.options.maximumConnections = connections
        return PostgresClient(configuration: configuration)
    }
    // The service pool is as large as the most concurrent test's demand (30 grants racing
    // for numbers on two appenders), so that no request queues for a connection: that test
    // once hung with 20 connections, none of them open in the end and nothing scheduled.
    // The likely path: a queued request waits for a release, and PostgresNIO 1.33 opens no
    // connection for the queue when a leased one closes instead (PoolStateMachine's
    // connectionClosed refills only up to the minimum).
    let database = TestDatabase(name: String(name), cluster: cluster, service: try client(LocalCluster.serviceRole, connections: 32),
                                owner: try client(LocalCluster.ownerRole), superuser: try client(LocalCluster.superuser))
    let result = try await withThrowingTaskGroup(of: Void.self) { group in
        for client in [database.service, database.owner, database.superuser] {
            group.addTask { await client.run() }
        }
        defer { group.cancelAll() }
        try await Migrator(directory: TestCluster.repositoryRoot + "/schema").migrate(database.owner, logger: Logger(label: "test"))
        return try await body(database)
    }
    _ = try? await onOwnThread { try cluster.dropDatabase(String(name)) }
    return result
}

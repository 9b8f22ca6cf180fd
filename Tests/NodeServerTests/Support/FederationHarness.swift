import AsyncHTTPClient
import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NodeServer
import PostgresNIO
import ServiceLifecycle
import TestSupport
import Testing

/// Three city nodes — rizhao, qingdao, weihai — each with its own database, HTTP port,
/// projector and sync worker, talking over loopback as in production.
struct FederationHarness: Sendable {
    struct Node: Sendable {
        let id: NodeID
        let url: String
        let database: TestDatabase
        /// The node's services, which a test can stop and start again.
        let process: NodeProcess

        /// The node as it runs now (a restart assembles it anew, as a new process would).
        var running: NodeServer.Running {
            get async { await process.running }
        }
    }

    /// How the nodes are reached: plain http, or https with certificates from a private CA.
    enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case http, https
        var testDescription: String { rawValue }
    }

    let nodes: [NodeID: Node]
    /// The federation the nodes run with.
    let federation: FederationFile
    /// With https: the CA the nodes' certificates come from.
    let authority: CertificateAuthority?
    /// With https: the test's own TLS, trusting that CA (and those the test names).
    let trust: FederationTLS?
    /// The event key each node starts with (a key rotation changes it before a restart).
    let signingKeys: SigningKeys

    subscript(_ id: String) -> Node { nodes[NodeID(rawValue: id)!]! }

    /// Runs `body` against the three nodes. `absentNodes` are cities of the federation file
    /// with these keys but no server (their URL refuses connections): the origin of events a
    /// test forges. `blockedLinks` are pairs of nodes that cannot reach each other (each
    /// knows the other at a URL that refuses connections), so their events must relay.
    /// Over `.https` every node has a certificate from one private CA, reaches its peers over
    /// https against it, and the test's requests verify the nodes against it too;
    /// `certificates` then replaces the certificate of a node (its PEM and key), and the
    /// test's requests trust the CAs of `trusting` as well (the nodes never do).
    static func run(absentNodes: [NodeSigningKey] = [], blockedLinks: [(String, String)] = [], transport: Transport = .http,
                    certificates: [String: CertificateAuthority.Issued] = [:], trusting: [CertificateAuthority] = [],
                    _ body: @Sendable (FederationHarness) async throws -> Void) async throws {
        try await run(cities: ["rizhao", "qingdao", "weihai"], absentNodes: absentNodes, blockedLinks: blockedLinks, transport: transport,
                      certificates: certificates, trusting: trusting, body)
    }

    /// Runs `body` against a node for each of `cities` (nodes of the example federation).
    /// The nodes sync each with every other unless `peers` gives their lists (the federation
    /// file's `nodes[].peers`, by city).
    static func run(cities: [String], peers: [String: [String]] = [:], absentNodes: [NodeSigningKey] = [], blockedLinks: [(String, String)] = [],
                    transport: Transport = .http, certificates: [String: CertificateAuthority.Issued] = [:], trusting: [CertificateAuthority] = [],
                    _ body: @Sendable (FederationHarness) async throws -> Void) async throws {
        let authority = transport == .https ? try CertificateAuthority.generate(name: "federation test CA") : nil
        let trust = try authority.map { authority in
            FederationTLS.PEM(try ([authority] + trusting).map { try $0.certificatePEM() }.joined(separator: "\n"), source: "the test's CAs")
        }
        try await withDatabases(cities, [:]) { databases in
            try await run(databases: databases, peers: peers, absentNodes: absentNodes, blockedLinks: blockedLinks, authority: authority,
                          certificates: certificates, trust: try trust.map { try FederationTLS(ca: $0) }, body)
        }
    }

    private static func withDatabases(_ names: [String], _ made: [String: TestDatabase],
                                      _ body: ([String: TestDatabase]) async throws -> Void) async throws {
        guard let name = names.first else { return try await body(made) }
        try await withTestDatabase { database in
            var made = made
            made[name] = database
            try await withDatabases(Array(names.dropFirst()), made, body)
        }
    }

    private static func run(databases: [String: TestDatabase], peers: [String: [String]], absentNodes: [NodeSigningKey], blockedLinks: [(String, String)],
                            authority: CertificateAuthority?, certificates: [String: CertificateAuthority.Issued], trust: FederationTLS?,
                            _ body: @Sendable (FederationHarness) async throws -> Void) async throws {
        let scheme = authority == nil ? "http" : "https"
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        var federation = try FederationFile.decode(data, source: "example", requirePublicKeys: false)
        // One matching key for the federation, so that every node indexes a holder alike.
        federation.matchingKey = federation.matchingKey ?? Data(repeating: 0x5A, count: 32).base64EncodedString()
        // Below the ephemeral range (32768–60999), where a client connection could hold the port.
        let base = Int.random(in: 10_000..<20_000)
        let absent = Dictionary(uniqueKeysWithValues: absentNodes.map { ($0.node, $0) })
        federation.nodes = federation.nodes.filter { databases[$0.id.rawValue] != nil } + federation.nodes.filter { absent[$0.id] != nil }
        federation.directory = federation.directory.restricted(to: Set(federation.nodes.map(\.id)))
        for index in federation.nodes.indices {
            federation.nodes[index].peers = peers[federation.nodes[index].id.rawValue]?.compactMap(NodeID.init(rawValue:))
            if let key = absent[federation.nodes[index].id] {
                federation.nodes[index].url = "\(scheme)://127.0.0.1:1"
                federation.nodes[index].publicKey = key.publicKeyBase64
            } else {
                federation.nodes[index].url = "\(scheme)://127.0.0.1:\(base + index)"
                federation.nodes[index].publicKey = TestDatabase.key(federation.nodes[index].id.rawValue).publicKeyBase64
                federation.nodes[index].encryptionKey = NodeEncryptionKey(derivedFrom: TestDatabase.key(federation.nodes[index].id.rawValue)).publicKeyBase64
            }
        }
        let logger = {
            var logger = Logger(label: "federation-test")
            logger.logLevel = .critical
            return logger
        }()
        let expected = try Migrator(directory: TestCluster.repositoryRoot + "/schema").latestVersion
        var nodes: [NodeID: Node] = [:]
        let signingKeys = SigningKeys()
        for (index, entry) in federation.nodes.enumerated() {
            guard let database = databases[entry.id.rawValue] else { continue }
            var seen = federation
            for (one, other) in blockedLinks + blockedLinks.map({ ($0.1, $0.0) }) where one == entry.id.rawValue {
                if let peer = seen.nodes.firstIndex(where: { $0.id.rawValue == other }) { seen.nodes[peer].url = "\(scheme)://127.0.0.1:1" }
            }
            let tls = try authority.map { authority in
                let issued = try certificates[entry.id.rawValue] ?? authority.issue(for: entry.id, hosts: ["127.0.0.1"])
                return try FederationTLS(ca: .init(try authority.certificatePEM(), source: "test CA"),
                                         certificate: .init(issued.certificatePEM, source: "\(entry.id) certificate"),
                                         key: .init(issued.keyPEM, source: "\(entry.id) key"))
            }
            let configuration = NodeServer.Configuration(federation: seen, signingKey: TestDatabase.key(entry.id.rawValue), expectedSchemaVersion: expected,
                                                         tls: tls)
            let url = try DatabaseURL(database.cluster.url(user: "tongban_service", database: database.name))
            let process = try await NodeProcess(logger: logger) {
                var configuration = configuration
                configuration.signingKey = await signingKeys.key(of: entry.id)
                return try await NodeServer.assemble(configuration: configuration, database: url.configuration, host: "127.0.0.1",
                                          port: base + index, syncInterval: .seconds(2), logger: logger)
            }
            nodes[entry.id] = Node(id: entry.id, url: entry.url, database: database, process: process)
        }
        let harness = FederationHarness(nodes: nodes, federation: federation, authority: authority, trust: trust, signingKeys: signingKeys)
        for node in nodes.values { try await node.process.start() }
        do {
            for node in nodes.values { try await harness.waitUntilReady(node) }
            try await body(harness)
        } catch {
            for node in nodes.values { try? await node.process.stop() }
            throw error
        }
        for node in nodes.values { try await node.process.stop() }
    }

    /// Waits until `node` answers `/ready`.
    func waitUntilReady(_ node: Node, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await Self.waitUntil("\(node.id) answers /ready", seconds: 90, sourceLocation: sourceLocation) {
            if let ending = await node.process.ending {
                // The port a restarted node listened on before can stay taken for a while
                // after its old listener was told to close: start again until it is free.
                if ending.contains("Address already in use") {
                    try await Task.sleep(for: .milliseconds(500))
                    try await node.process.startAgain()
                    return false
                }
                Issue.record("\(node.id)'s services ended before it was ready: \(ending)", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            return (try? await request(url: node.url + "/ready", "GET", timeout: .seconds(5)).0) == 200
        }
    }

    /// A staff call to `node` as `centre`: status and JSON body.
    @discardableResult
    func call(_ node: Node, _ method: String, _ path: String, as centre: CentreID, role: StaffRole = .staff, _ body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        let token = try await node.running.server.tokens.issue(centre: centre, staff: "staff-1", role: role, validity: .seconds(600))
        return try await request(node, method, path, token: token, body: body)
    }

    /// A request to `node` (over https verified against the harness's CA): status and body,
    /// JSON when it parses, else text.
    func request(_ node: Node, _ method: String, _ path: String, token: String? = nil, body: JSONValue? = nil,
                 headers: [String: String] = [:], rawBody: Data? = nil) async throws -> (Int, JSONValue) {
        try await request(url: node.url + path, method, token: token, body: body, headers: headers, rawBody: rawBody)
    }

    /// A request to `url`, with the harness's CA as the only trust root for https.
    func request(url: String, _ method: String, token: String? = nil, body: JSONValue? = nil,
                 headers: [String: String] = [:], rawBody: Data? = nil, timeout: TimeAmount = .seconds(60)) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.tlsConfiguration = trust?.clientConfiguration
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: try CanonicalJSON.encode(body))) } else if let rawBody { request.body = .bytes(ByteBuffer(data: rawBody)) }
        let response = try await Self.http.execute(request, timeout: timeout)
        let data = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        let json = data.isEmpty ? JSONValue.null : ((try? CanonicalJSON.decode(data)) ?? .string(String(decoding: data, as: UTF8.self)))
        return (Int(response.status.code), json)
    }

    /// The test's client: redirects are answers too (a node never redirects its API).
    private static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// Polls `condition` every 20 ms for up to `seconds`; fails the test naming `what`.
    static func waitUntil(_ what: String, seconds: Double = 90, sourceLocation: SourceLocation = #_sourceLocation,
                          _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out after \(seconds) s waiting until \(what)", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// Every node's events as (origin, seq, hash), in origin order.
    func logs() async throws -> [NodeID: [String]] {
        var logs: [NodeID: [String]] = [:]
        for node in nodes.values {
            let rows = try await node.database.superuser.query("SELECT origin_node || '/' || origin_seq || '/' || encode(hash, 'hex') FROM events ORDER BY origin_node, origin_seq")
            var entries: [String] = []
            for try await entry in rows.decode(String.self) { entries.append(entry) }
            logs[node.id] = entries
        }
        return logs
    }
}

/// One node's services in a group of their own, stopped the way `serve` stops on SIGTERM:
/// gracefully, in reverse order, so the database client stops after everything using it.
/// (Cancelling all services at once raced a query against its client's shutdown, and that
/// query never returned.)
/// The event key each node of a harness starts with: its test key until a rotation.
actor SigningKeys {
    private var rotated: [NodeID: NodeSigningKey] = [:]

    func key(of node: NodeID) -> NodeSigningKey { rotated[node] ?? TestDatabase.key(node.rawValue) }

    /// `node` starts with `key` from its next start.
    func use(_ key: NodeSigningKey) { rotated[key.node] = key }
}

actor NodeProcess {
    private let assemble: @Sendable () async throws -> NodeServer.Running
    private let logger: Logger
    /// The node's current assembly; a restart makes a new one (its clients run only once).
    private(set) var running: NodeServer.Running
    private var hasRun = false
    private var services: (group: ServiceGroup, task: Task<Void, any Error>)?
    /// How the services last ended while they should have been running (an error, or
    /// "returned"), so that a wait for the node can say why it never became ready.
    private(set) var ending: String?

    init(logger: Logger, assemble: @escaping @Sendable () async throws -> NodeServer.Running) async throws {
        self.assemble = assemble
        self.logger = logger
        self.running = try await assemble()
    }

    /// Starts the node's services (assembling them anew if they ran before).
    func start() async throws {
        guard services == nil else { return }
        if hasRun { running = try await assemble() }
        hasRun = true
        var configuration = ServiceGroupConfiguration(services: running.services.map { .init(service: $0) }, logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        let group = ServiceGroup(configuration: configuration)
        ending = nil
        services = (group, Task {
            do {
                try await group.run()
                await self.ended("returned")
            } catch {
                await self.ended(String(reflecting: error))
                throw error
            }
        })
    }

    /// Starts services that ended by themselves (e.g. their port was still taken) anew.
    func startAgain() async throws {
        guard ending != nil else { return }
        services = nil
        try await start()
    }

    private func ended(_ how: String) {
        if services != nil { ending = how }
    }

    /// Stops the node's services and waits until they have ended.
    func stop() async throws {
        guard let (group, task) = services else { return }
        services = nil
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

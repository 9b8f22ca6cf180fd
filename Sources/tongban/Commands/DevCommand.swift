import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import Logging
import NodeServer
import PostgresNIO
import ServiceLifecycle

/// `tongban dev`: the local multi-city federation on a private PostgreSQL — the embedded default.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start a private PostgreSQL and a local federation of the Jiaodong cities; Ctrl-C stops it.",
        discussion: """
            Each node gets its own database on the private cluster, its own event and token keys and its \
            place in .tongban/dev/federation.json; .tongban/dev/env.json says how to reach them. \
            A second run reuses the data. With --tls every node is served over https with a \
            certificate from a private CA (.tongban/dev/tls/ca.pem); without it, plain http on \
            127.0.0.1 only.
            """
    )

    @Option(help: ArgumentHelp("Comma-separated node ids to start (default: every node of the federation).", valueName: "ids"))
    var nodes: String?

    @Option(help: "Node i listens on 127.0.0.1:<base-port + i>.")
    var basePort = 8400

    @Option(help: ArgumentHelp("The federation template (nodes and centres; keys are filled in).", valueName: "file"))
    var federation = "deploy/federation.example.json"

    @Option(help: ArgumentHelp("Where dev keeps its data.", valueName: "dir"))
    var stateDir = ".tongban"

    @Option(help: "The private PostgreSQL's port on 127.0.0.1.")
    var pgPort = 54320

    @OptionGroup var schema: SchemaOptions

    @Option(help: ArgumentHelp("system, fixed:<ISO-8601> or offset:<duration>, to demonstrate deadlines.", valueName: "clock"))
    var clock = "system"

    @Flag(help: "Serve every node over https: a private CA at <state-dir>/dev/tls/ca.pem and a certificate per node.")
    var tls = false

    func run() async throws {
        let nodeClock = try NodeClock(parsing: clock)
        let template = try FederationFile.load(path: federation, requirePublicKeys: false)
        let selected = try selectNodes(of: template)
        let migrator = try schema.migrator()
        let devDirectory = stateDir + "/dev"
        try FileManager.default.createDirectory(atPath: devDirectory + "/keys", withIntermediateDirectories: true)

        let cluster = try LocalCluster(dataDirectory: stateDir + "/pg", port: pgPort)
        try cluster.start { say($0) }
        do {
            try await runFederation(of: template, nodes: selected, on: cluster, migrator: migrator, clock: nodeClock)
        } catch {
            say("stopping PostgreSQL: tongban dev failed")
            try? cluster.stop()
            throw error
        }
        say("\nstopping PostgreSQL")
        try cluster.stop()
        say("stopped; the data stays in \(stateDir) for the next run")
    }

    /// The dev federation's matching key (``FederationFile/matchingKey``), made once and kept
    /// beside the node keys.
    private static func matchingKey(at path: String) throws -> String {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return key
    }

    /// Migrates and serves every selected node until Ctrl-C.
    private func runFederation(of template: FederationFile, nodes selected: [FederationFile.Node], on cluster: LocalCluster,
                               migrator: Migrator, clock nodeClock: NodeClock) async throws {
        let devDirectory = stateDir + "/dev"
        var federationFile = FederationFile(name: template.name, nodes: [], auditors: template.auditors,
                                            matchingKey: try template.matchingKey ?? Self.matchingKey(at: "\(devDirectory)/keys/matching.key"),
                                            directory: template.directory.restricted(to: Set(selected.map(\.id))))
        var setups: [(node: FederationFile.Node, database: String, key: NodeSigningKey, tokenKey: StaffTokenKey)] = []
        for (index, var node) in selected.enumerated() {
            let keyPath = "\(devDirectory)/keys/\(node.id).key"
            let key = FileManager.default.fileExists(atPath: keyPath)
                ? try NodeSigningKey.read(node: node.id, from: keyPath)
                : try { let key = NodeSigningKey.generate(for: node.id); try key.write(to: keyPath); return key }()
            let tokenKeyPath = "\(devDirectory)/keys/\(node.id).token.key"
            let tokenKey = FileManager.default.fileExists(atPath: tokenKeyPath)
                ? try StaffTokenKey.read(from: tokenKeyPath)
                : try { let key = StaffTokenKey.generate(for: node.id); try key.write(to: tokenKeyPath); return key }()
            node.publicKey = key.publicKeyBase64
            node.encryptionKey = NodeEncryptionKey(derivedFrom: key).publicKeyBase64
            node.url = "\(tls ? "https" : "http")://127.0.0.1:\(basePort + index)"
            federationFile.nodes.append(node)
            let database = "tongban_" + node.id.rawValue.replacingOccurrences(of: "-", with: "_")
            if try cluster.createDatabase(database) { say("created database \(database) for node \(node.id)") }
            let owner = try DatabaseURL(cluster.url(user: LocalCluster.ownerRole, database: database))
            let applied = try await withRunningClient(owner) { client in
                try await migrator.migrate(client, logger: Logger(label: "tongban.migrate"))
            }
            for name in applied { say("node \(node.id): applied \(name)") }
            setups.append((node, database, key, tokenKey))
        }
        try federationFile.encoded().write(to: URL(fileURLWithPath: devDirectory + "/federation.json"))

        let devTLS = tls ? try DevTLS(directory: devDirectory + "/tls") { say($0) } : nil
        var logger = Logger(label: "tongban.dev")
        logger.logLevel = .warning
        var services: [any Service] = []
        var environment: [EnvironmentNode] = []
        for (index, setup) in setups.enumerated() {
            var configuration = NodeServer.Configuration(federation: federationFile, signingKey: setup.key, clock: nodeClock,
                                                         expectedSchemaVersion: migrator.latestVersion, tls: try devTLS?.tls(for: setup.node.id),
                                                         tokenKey: setup.tokenKey)
            // A local federation for trying tongban out: its sign-in pages offer the centres at a click.
            configuration.devSignIn = true
            let url = try DatabaseURL(cluster.url(user: LocalCluster.serviceRole, database: setup.database))
            let running = try await NodeServer.assemble(configuration: configuration, database: url.configuration,
                                                    host: "127.0.0.1", port: basePort + index, logger: logger)
            services += running.services
            services.append(LogEcho(node: setup.node.id, client: running.client))
            environment.append(try await EnvironmentNode(setup.node, database: url.description, tokens: running.server.tokens))
        }
        try writeEnvironment(environment, ca: devTLS?.caPath, to: devDirectory + "/env.json")

        say("")
        say("tongban dev: \(setups.count) node(s) on PostgreSQL 127.0.0.1:\(pgPort) (data in \(stateDir)/pg), clock \(nodeClock)")
        for setup in setups {
            say("  \(setup.node.id)  \(setup.node.url)  staff pages \(setup.node.url)/sign-in  centres \(setup.node.centres.map(\.id.rawValue).joined(separator: ", "))")
        }
        say("  federation file: \(devDirectory)/federation.json")
        say("  staff tokens:    \(devDirectory)/env.json (one per centre, valid 30 days)")
        if let devTLS { say("  CA:              \(devTLS.caPath) (each node's certificate and key beside it)") }
        say("  try:             curl \(devTLS.map { "--cacert \($0.caPath) " } ?? "")\(setups.first?.node.url ?? "")/ready   (the README shows a first application)")
        say("Serving; each node's new events are printed below. Ctrl-C stops.")

        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
    }

    /// The nodes --nodes picks, in its order, each `peers` list without the nodes left out;
    /// when those lists no longer connect the picked nodes, they sync all with all (said).
    private func selectNodes(of template: FederationFile) throws -> [FederationFile.Node] {
        guard let nodes else { return template.nodes }
        let picked = try nodes.split(separator: ",").map { name in
            let id = name.trimmingCharacters(in: .whitespaces)
            guard let node = template.nodes.first(where: { $0.id.rawValue == id }) else {
                throw ValidationError("--nodes: '\(id)' is not a node of \(federation) (known: \(template.nodes.map(\.id.rawValue).joined(separator: ", ")))")
            }
            return node.id
        }
        if let restricted = template.restricted(to: Set(picked)) {
            return picked.compactMap { id in restricted.nodes.first { $0.id == id } }
        }
        say("the peers of \(federation) do not connect \(picked.map(\.rawValue).joined(separator: ", ")) alone: they sync each with every other")
        return picked.compactMap { id in
            var node = template.nodes.first { $0.id == id }
            node?.peers = nil
            return node
        }
    }

    /// One node of `env.json`: where it is and a ready token for every centre.
    struct EnvironmentNode: Encodable {
        struct Centre: Encodable {
            var id: String
            var name: String
            /// A `staff` token of this centre.
            var token: String
            /// A `supervisor` token (the city's justice bureau), for objections.
            var supervisorToken: String
        }
        var id: String
        var url: String
        var database: String
        var centres: [Centre]

        init(_ node: FederationFile.Node, database: String, tokens: TokenAuthority) async throws {
            self.id = node.id.rawValue
            self.url = node.url
            self.database = database
            var centres: [Centre] = []
            for centre in node.centres {
                centres.append(Centre(
                    id: centre.id.rawValue, name: centre.name,
                    token: try await tokens.issue(centre: centre.id, staff: "dev-staff", role: .staff, validity: .seconds(30 * 86_400)),
                    supervisorToken: try await tokens.issue(centre: centre.id, staff: "dev-supervisor", role: .supervisor, validity: .seconds(30 * 86_400))
                ))
            }
            self.centres = centres
        }
    }

    /// `env.json`; `ca`, with --tls, is the CA bundle to verify the nodes against.
    private func writeEnvironment(_ nodes: [EnvironmentNode], ca: String?, to path: String) throws {
        struct Document: Encodable {
            var nodes: [EnvironmentNode]
            var ca: String?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(Document(nodes: nodes, ca: ca)).write(to: URL(fileURLWithPath: path))
    }
}

/// Prints a node's events as they commit, until the service group shuts down.
private struct LogEcho: Service {
    let node: NodeID
    let client: PostgresClient

    func run() async throws {
        do {
            try await follow()
        } catch is CancellationError {
            // Shutting down: the echo simply stops.
        }
    }

    private func follow() async throws {
        try await cancelWhenGracefulShutdown {
            let notifier = LogNotifier(client: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.run() }
                defer { group.cancelAll() }
                let reader = EventReader(client: client)
                let head = try await reader.headPosition()
                say("[\(node)] \(head) event(s) in the log")
                for try await event in reader.follow(after: head, notifier: notifier) {
                    let envelope = event.envelope
                    say("[\(node)] #\(event.globalPosition) \(envelope.type) \(envelope.streamId) v\(envelope.streamVersion) by \(envelope.actor) from \(envelope.originNode)")
                }
            }
        }
    }
}

/// Writes a line to standard output at once (unbuffered even when piped): `dev` runs for
/// hours and its log must show each line as it happens.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

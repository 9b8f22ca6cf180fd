import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

/// `tongban dev`: the local multi-city federation on a private PostgreSQL — the embedded default.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start a private PostgreSQL and a local federation of the Jiaodong cities; Ctrl-C stops it.",
        discussion: """
            Each node gets its own database on the private cluster, its own signing key and its \
            place in .tongban/dev/federation.json; .tongban/dev/env.json says how to reach them. \
            A second run reuses the data.
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

    func run() async throws {
        _ = try NodeClock(parsing: clock)
        let template = try FederationFile.load(path: federation, requirePublicKeys: false)
        let selected = try selectNodes(of: template)
        let migrator = try schema.migrator()
        let devDirectory = stateDir + "/dev"
        try FileManager.default.createDirectory(atPath: devDirectory + "/keys", withIntermediateDirectories: true)

        let cluster = try LocalCluster(dataDirectory: stateDir + "/pg", port: pgPort)
        try cluster.start { say($0) }

        var federationFile = FederationFile(name: template.name, nodes: [])
        var setups: [(node: FederationFile.Node, database: String, key: NodeSigningKey)] = []
        for (index, var node) in selected.enumerated() {
            let keyPath = "\(devDirectory)/keys/\(node.id).key"
            let key = FileManager.default.fileExists(atPath: keyPath)
                ? try NodeSigningKey.read(node: node.id, from: keyPath)
                : try { let key = NodeSigningKey.generate(for: node.id); try key.write(to: keyPath); return key }()
            node.publicKey = key.publicKeyBase64
            node.url = "http://127.0.0.1:\(basePort + index)"
            federationFile.nodes.append(node)
            let database = "tongban_" + node.id.rawValue.replacingOccurrences(of: "-", with: "_")
            if try cluster.createDatabase(database) { say("created database \(database) for node \(node.id)") }
            let owner = try DatabaseURL(cluster.url(user: LocalCluster.ownerRole, database: database))
            let applied = try await withRunningClient(owner) { client in
                try await migrator.migrate(client, logger: Logger(label: "tongban.migrate"))
            }
            for name in applied { say("node \(node.id): applied \(name)") }
            setups.append((node, database, key))
        }
        try federationFile.encoded().write(to: URL(fileURLWithPath: devDirectory + "/federation.json"))
        try writeEnvironment(setups.map { ($0.node, cluster.url(user: LocalCluster.serviceRole, database: $0.database)) }, to: devDirectory + "/env.json")

        say("")
        say("tongban dev: \(setups.count) node(s) on PostgreSQL 127.0.0.1:\(pgPort) (data in \(stateDir)/pg)")
        for setup in setups {
            say("  \(setup.node.id)  \(setup.node.url)  database \(cluster.url(user: LocalCluster.serviceRole, database: setup.database))")
        }
        say("  federation file: \(devDirectory)/federation.json")
        say("  environment:     \(devDirectory)/env.json")
        say("The HTTP API and web pages are not served yet; following each node's event log. Ctrl-C stops.")

        try await followLogs(setups.map { ($0.node.id, cluster.url(user: LocalCluster.serviceRole, database: $0.database)) })
        say("\nstopping PostgreSQL")
        try cluster.stop()
        say("stopped; the data stays in \(stateDir) for the next run")
    }

    private func selectNodes(of template: FederationFile) throws -> [FederationFile.Node] {
        guard let nodes else { return template.nodes }
        return try nodes.split(separator: ",").map { name in
            let id = name.trimmingCharacters(in: .whitespaces)
            guard let node = template.nodes.first(where: { $0.id.rawValue == id }) else {
                throw ValidationError("--nodes: '\(id)' is not a node of \(federation) (known: \(template.nodes.map(\.id.rawValue).joined(separator: ", ")))")
            }
            return node
        }
    }

    private func writeEnvironment(_ nodes: [(FederationFile.Node, String)], to path: String) throws {
        struct Centre: Encodable { var id: String; var name: String }
        struct Node: Encodable { var id: String; var url: String; var database: String; var centres: [Centre] }
        struct Document: Encodable { var nodes: [Node] }
        let document = Document(nodes: nodes.map { node, database in
            Node(id: node.id.rawValue, url: node.url, database: database, centres: node.centres.map { Centre(id: $0.id.rawValue, name: $0.name) })
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(document).write(to: URL(fileURLWithPath: path))
    }

    /// Prints every node's events as they commit until Ctrl-C.
    private func followLogs(_ nodes: [(NodeID, String)]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (node, url) in nodes {
                let databaseURL = try DatabaseURL(url)
                group.addTask {
                    try await withRunningClient(databaseURL) { client in
                        let notifier = LogNotifier(client: client)
                        try await withThrowingTaskGroup(of: Void.self) { inner in
                            inner.addTask { await notifier.run() }
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
            group.addTask {
                await waitForTerminationSignal()
                throw CancellationError()
            }
            do {
                try await group.next()
            } catch is CancellationError {
                group.cancelAll()
                return
            }
        }
    }
}

/// Writes a line to standard output at once (unbuffered even when piped): `dev` runs for
/// hours and its log must show each line as it happens.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

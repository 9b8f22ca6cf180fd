import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import Logging
import NodeServer
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// `tongban serve`: one city's node — its staff API over its event log — until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a node: the HTTP API over its event log. SIGINT/SIGTERM stop it gracefully."
    )

    @OptionGroup var identity: NodeIdentityOptions

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("This node's staff-token key (tongban keys generate --purpose token): signs and alone verifies its staff tokens.",
                               valueName: "file"))
    var tokenKey: String

    @Option(help: ArgumentHelp("Listen address; one other than loopback needs TLS (or --insecure-http).", valueName: "host"))
    var host = "127.0.0.1"

    @OptionGroup var tls: TLSOptions

    @Flag(help: "Listen on a non-loopback --host over plain http (only behind a TLS-terminating proxy on a network you trust).")
    var insecureHttp = false

    @Option(help: "Listen port (default: the port of this node's URL in the federation file).")
    var port: Int?

    @Option(help: ArgumentHelp("system; fixed:<ISO-8601> or offset:<duration> only with TONGBAN_MODE=test (deadline demonstrations and tests).", valueName: "clock"))
    var clock = "system"

    @OptionGroup var schema: SchemaOptions

    @Flag(help: "Do not run the projector in this process (another process keeps the projections).")
    var noProjector = false

    @Flag(help: "Do not run the sync worker (tongban sync --once can be run instead).")
    var noSync = false

    @Option(help: "Seconds between pulls from each peer when no peer has announced new events.")
    var syncInterval = 5

    @Option(help: ArgumentHelp("Write this process's id here, for tongban config reload.", valueName: "file"))
    var pidFile: String?

    @Option(help: ArgumentHelp("Seconds a request may take before it is stopped and answered 503 (1 to 3600).", valueName: "seconds"))
    var requestTimeout = 30

    func validate() throws {
        guard (1...3600).contains(requestTimeout) else {
            throw ValidationError("--request-timeout \(requestTimeout): give whole seconds from 1 to 3600")
        }
    }

    func run() async throws {
        let nodeClock = try NodeClock(parsing: clock)
        guard nodeClock == .system || Environment.value("TONGBAN_MODE") == "test" else {
            throw ValidationError("--clock \(clock): a served node keeps real time; fixed and offset clocks need TONGBAN_MODE=test")
        }
        // Trapped at once: from here on a SIGHUP reloads the federation file, never ends the process.
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let reloads = ReloadRequests()
        let following = Task { await reloads.follow(signals) }
        defer { following.cancel() }
        let node = try identity.resolved()
        let (entry, signingKey, nodeID) = (node.entry, node.signingKey, node.entry.id)
        let databaseURL = try database.resolved()
        try Self.requireWritable(databaseURL)
        try await node.requireCurrentKey(in: databaseURL, key: identity.key, federation: identity.federation)
        let nodeTLS = try tls.resolved()
        if let problem = TransportPolicy.problem(host: host, tls: nodeTLS, insecureHTTP: insecureHttp, federation: node.federation, path: identity.federation) {
            throw ValidationError(problem)
        }
        let staffTokenKey = try Self.tokenKey(at: tokenKey, of: nodeID, federation: node.federation, path: identity.federation)
        let listenPort = try port ?? Self.port(of: entry.url)
        var logger = Logger(label: "tongban.\(nodeID)")
        logger.logLevel = .info
        if let pidFile { try Self.writePID(to: pidFile) }
        var federationFile = node.federation
        // A URL the node follows has no primary until one is found; a plain one has its host.
        var primary: DatabaseURL.Host? = databaseURL.followsPrimary ? nil : databaseURL.hosts[0]
        while true {
            var configuration = NodeServer.Configuration(federation: federationFile, signingKey: signingKey, clock: nodeClock,
                                                         expectedSchemaVersion: try schema.migrator().latestVersion, tls: nodeTLS,
                                                         tokenKey: staffTokenKey)
            configuration.requestDeadline = .seconds(requestTimeout)
            if primary == nil {
                primary = try await awaitPrimary(databaseURL, configuration: configuration, host: host, port: listenPort, logger: logger)
            }
            guard let writingTo = primary else { return }
            let running = try await NodeServer.assemble(configuration: configuration, database: databaseURL.configuration(for: writingTo),
                                                        host: host, port: listenPort, projecting: !noProjector, syncing: !noSync,
                                                        syncInterval: .seconds(max(1, syncInterval)), logger: logger)
            print("node \(nodeID) serving centres \(configuration.centres.map(\.rawValue).sorted().joined(separator: ", ")) on \(nodeTLS?.scheme ?? "http")://\(host):\(listenPort) "
                  + "in a federation of \(federationFile.nodes.count) node(s)")
            let watch = databaseURL.followsPrimary ? PrimaryWatch(url: databaseURL, host: writingTo) : nil
            switch try await serve(running.services.filter { ($0 as? PostgresClient) !== running.client }, client: running.client, reloads: reloads,
                                   watch: watch, logger: logger, check: { try await self.reloadedFederation(tls: nodeTLS) }) {
            case .stopped:
                return
            case .reloaded(let reloaded):
                federationFile = reloaded
                print("node \(nodeID) reloaded \(identity.federation): \(reloaded.nodes.map(\.id.rawValue).joined(separator: ", "))")
            case .primaryLost(let loss):
                print("node \(nodeID) lost its database primary: \(loss); finding the host that takes writes")
                primary = nil
            }
        }
    }

    /// The token key at `path`, if it is `node`'s and no event key of the federation: a key
    /// has one purpose, and a token key that verified events or an event key that signed
    /// tokens would mix them.
    static func tokenKey(at path: String, of node: NodeID, federation: FederationFile, path federationPath: String) throws -> StaffTokenKey {
        let key: StaffTokenKey
        do { key = try StaffTokenKey.read(from: path) } catch { throw ValidationError("--token-key: \(error)") }
        guard key.node == node else { throw ValidationError("--token-key \(path) is node \(key.node)'s token key, not \(node)'s") }
        if let clash = federation.nodes.first(where: { $0.publicKey.map(key.hasPublicKey) == true }) {
            throw ValidationError("--token-key \(path) is the event key of node \(clash.id) in \(federationPath): a token key signs staff tokens only")
        }
        return key
    }

    /// The port of a node's base URL (80 or 443 when it names none).
    static func port(of url: String) throws -> Int {
        guard let components = URLComponents(string: url), let scheme = components.scheme else {
            throw ValidationError("the node's url '\(url)' is not a URL; pass --port")
        }
        return components.port ?? (scheme == "https" ? 443 : 80)
    }
}

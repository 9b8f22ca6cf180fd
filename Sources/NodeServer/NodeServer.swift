import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import PostgresNIO
import Projections
import ServiceLifecycle

/// One city's node as HTTP: the staff API over its event log, health and readiness, the
/// contract at `/openapi.json`. The caller runs the PostgreSQL client and the appender.
public struct NodeServer: Sendable {
    /// Everything a node needs to serve.
    public struct Configuration: Sendable {
        public var federation: FederationFile
        public var signingKey: NodeSigningKey
        /// The key that signs (and alone verifies) this node's staff tokens; never the event key.
        public var tokenKey: StaffTokenKey
        public var clock: NodeClock
        /// The schema version this build expects (the highest migration it ships).
        public var expectedSchemaVersion: Int
        /// The centres whose staff this node serves.
        public var centres: Set<CentreID>
        /// The blind index certificates are issued with and looked up by.
        public var matching: BlindIndex
        /// The federation's TLS: peers reached over https against its CA and, with an
        /// identity, this node's listener (API, staff pages, sync) over https.
        public var tls: FederationTLS?
        /// How long a request may take before it is stopped and answered 503
        /// (``RequestDeadlineMiddleware``).
        public var requestDeadline: Duration = .seconds(30)
        /// Under `tongban dev` only: the sign-in page offers each served centre (staff or
        /// supervisor) to sign in as at a click, instead of pasting a token. Never on a
        /// served node: anyone reaching the page could then act for any centre.
        public var devSignIn = false

        /// Whether this node's listener speaks TLS, so that its pages and API are reached
        /// over `https://` (what a `Secure` cookie can rely on).
        public var isTLS: Bool { tls?.identity != nil }

        /// - Parameters:
        ///   - centres: the centres served; by default the node's own in the federation
        ///     file (a test may serve several cities' centres from one node).
        ///   - matching: by default the federation's (``FederationFile/blindIndex(signingKey:)``).
        ///   - tokenKey: by default a fresh one, so that only tokens this process issues
        ///     (``NodeServer/tokens``) are accepted; a served node reads its own from a file.
        ///   - tls: by default none: plain http, peers at http URLs.
        public init(federation: FederationFile, signingKey: NodeSigningKey, clock: NodeClock = .system,
                    expectedSchemaVersion: Int, centres: Set<CentreID>? = nil, matching: BlindIndex? = nil, tls: FederationTLS? = nil,
                    tokenKey: StaffTokenKey? = nil) {
            self.federation = federation
            self.signingKey = signingKey
            self.tokenKey = tokenKey ?? .generate(for: signingKey.node)
            self.clock = clock
            self.expectedSchemaVersion = expectedSchemaVersion
            self.centres = centres ?? Set(federation.nodes.first { $0.id == signingKey.node }?.centres.map(\.id) ?? [])
            self.matching = matching ?? federation.blindIndex(signingKey: signingKey)
            self.tls = tls
        }
    }

    public let configuration: Configuration
    /// Issues and verifies this node's staff tokens (with ``Configuration/tokenKey``).
    public let tokens: TokenAuthority
    /// Tokens revoked on this node, checked on every staff request.
    public let revocations: TokenRevocations
    private let client: PostgresClient
    private let appender: EventAppender
    private let syncWorker: SyncWorker?
    /// The node's key custodian, run at once after commands that hand keys over.
    public let keyHandOver: KeyHandOver
    private let seenSignatures = SeenSignatures()
    /// What `/metrics` serves.
    public let metrics: NodeMetrics

    /// - Parameters:
    ///   - client: a running client connected as the service role.
    ///   - appender: this node's appender over that client.
    ///   - syncWorker: the node's sync worker, which `/v1/sync/notify` wakes.
    ///   - metrics: the node's registry (the appender should count into its factory).
    public init(configuration: Configuration, client: PostgresClient, appender: EventAppender, syncWorker: SyncWorker? = nil,
                metrics: NodeMetrics = NodeMetrics()) async {
        self.configuration = configuration
        self.metrics = metrics
        self.client = client
        self.appender = appender
        self.syncWorker = syncWorker
        self.keyHandOver = KeyHandOver(
            custodian: KeyCustodian(client: client, node: configuration.signingKey.node, federation: configuration.federation,
                                    logger: Logger(label: "tongban.keys")),
            delivery: syncWorker == nil ? nil : KeyGrantDelivery(
                client: client, peers: PeerClient(federation: configuration.federation, key: configuration.signingKey, tls: configuration.tls),
                logger: Logger(label: "tongban.keys")))
        self.tokens = await TokenAuthority(key: configuration.tokenKey)
        self.revocations = TokenRevocations(client: client)
    }

    /// The checkpoints this node signs, receives and cosigns.
    public var checkpointStore: CheckpointStore {
        CheckpointStore(client: client, key: configuration.signingKey, keyring: appender)
    }

    /// How the node's HTTP layer reads and appends streams.
    var streamStore: StreamStore {
        StreamStore(appender: appender, reader: EventReader(client: client), keys: RecordKeyStore(client: client, node: configuration.signingKey.node))
    }

    /// Records the delivery of every request sent to this node's centres (送达), every `interval`.
    func deliveryClerk(interval: Duration, logger: Logger) -> DeliveryClerk {
        DeliveryClerk(receipts: DeliveryReceipts(store: streamStore, logger: logger), queue: DeliveryQueue(client: client, logger: logger),
                      centres: configuration.centres.sorted { $0.rawValue < $1.rawValue }, interval: interval, logger: logger)
    }

    /// Who may act here: tokens, revocations and page sessions; the session cookies are
    /// `Secure` when the node is reached over https (its own listener or, behind a proxy,
    /// its URL in the federation file).
    var staffAccess: StaffAccess {
        let node = configuration.signingKey.node
        let https = configuration.isTLS || configuration.federation.nodes.first { $0.id == node }?.url.lowercased().hasPrefix("https://") == true
        return StaffAccess(tokens: tokens, revocations: revocations,
                           sessions: PageSessions(client: client, node: node, logger: Logger(label: "tongban.sessions")), secureCookies: https)
    }

    /// Every route of the node.
    public func router() -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: CommandMetricsMiddleware(metrics: metrics))
        router.add(middleware: SyncTrafficMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: RequestDeadlineMiddleware(limit: configuration.requestDeadline))
        router.get("metrics") { [metrics, client, syncWorker] _, context in
            do {
                try await metrics.refresh(client: client, syncWorker: syncWorker, logger: context.logger)
            } catch {
                throw Problem(.unavailable, "the database does not answer: \(describePostgresError(error))")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        OperationsRoutes(client: client, node: configuration.signingKey.node, expectedSchemaVersion: configuration.expectedSchemaVersion)
            .add(to: router)

        let store = streamStore
        let receipts = DeliveryReceipts(store: store, logger: Logger(label: "tongban.deliveries"))
        let policies = configuration.federation.policies
        let allCentres = Set(configuration.federation.nodes.flatMap { $0.centres.map(\.id) })
        let workflow = Workflow(store: store, policies: policies, centres: allCentres, clock: configuration.clock, keyHandOver: keyHandOver,
                                matching: configuration.matching,
                                conflicts: ConflictGate(cases: CaseRecords(client: client), checks: ConflictChecks(client: client)))
        let views = Views(store: store, cases: CaseRecords(client: client), registry: CertificateRegistry(client: client), clock: configuration.clock,
                          accessLog: AccessLog(client: client, logger: Logger(label: "tongban.access-log")),
                          receipts: receipts)
        VerificationRoutes(reader: store.reader, keys: appender).add(to: router)
        let syncAPI = router.group("v1/sync").add(middleware: NodeAuthentication(keys: appender, seen: seenSignatures,
                                                                                              receiver: configuration.signingKey.node))
        let documents = DocumentStore(client: client)
        SyncRoutes(reader: store.reader, worker: syncWorker, documents: documents, references: DocumentReferences(client: client), keys: store.keys,
                   encryptionKey: NodeEncryptionKey(derivedFrom: configuration.signingKey),
                   checkpoints: checkpointStore).add(to: syncAPI)
        let staffAPI = router.group("v1").add(middleware: StaffAuthentication(access: staffAccess, centres: configuration.centres))
        let peers = syncWorker == nil ? nil : PeerClient(federation: configuration.federation, key: configuration.signingKey, tls: configuration.tls)
        let relay = WriterRelay(peers: peers, syncWorker: syncWorker)
        let cancellation = TransferCancellation(workflow: workflow, servedCentres: configuration.centres, relay: relay)
        let transferCancelRoutes = TransferCancelRoutes(cancellation: cancellation)
        transferCancelRoutes.addNodeRoute(to: syncAPI)
        transferCancelRoutes.addStaffRoute(to: staffAPI)
        CaseRoutes(workflow: workflow, views: views).add(to: staffAPI)
        ConflictCheckRoutes(gate: workflow.conflicts, views: views, federationWide: configuration.federation.matchingKey != nil).add(to: staffAPI)
        let roster = RosterRoutes(workflow: workflow, loads: LawyerLoads(client: client), centres: allCentres)
        roster.add(to: staffAPI)
        let extensionDecision = ExtensionDecision(workflow: workflow, servedCentres: configuration.centres, relay: relay)
        let investigationRoutes = InvestigationRoutes(workflow: workflow, views: views, extensionDecision: extensionDecision)
        investigationRoutes.addNodeRoute(to: syncAPI)
        investigationRoutes.add(to: staffAPI)
        CertificateRoutes(workflow: workflow, views: views, policies: policies).add(to: staffAPI)
        DocumentRoutes(documents: documents, access: DocumentAccess(references: DocumentReferences(client: client), reader: store.reader),
                       accessLog: views.accessLog,
                       peers: peers).add(to: staffAPI)
        InboxRoutes(inbox: InboxQuery(client: client), views: views, clock: configuration.clock).add(to: staffAPI)
        let centreNames = CentreNames(names: Dictionary(configuration.federation.nodes.flatMap { $0.centres.map { ($0.id, $0.name) } },
                                                        uniquingKeysWith: { first, _ in first }))
        DirectoryRoutes(directory: configuration.federation.directory, centreNames: centreNames).add(to: staffAPI)
        StaffPages(access: staffAccess, centres: configuration.centres, centreNames: centreNames, directory: configuration.federation.directory,
                   devSignIn: configuration.devSignIn, workflow: workflow, scans: documents,
                   cancellation: cancellation, extensionDecision: extensionDecision, roster: roster, views: views,
                   inbox: InboxQuery(client: client), statistics: StatisticsQuery(client: client), clock: configuration.clock).add(to: router)
        AccessLogRoutes(views: views).add(to: staffAPI)
        StatisticsRoutes(statistics: StatisticsQuery(client: client), clock: configuration.clock).add(to: staffAPI)
        return router
    }

    /// How long a connection may stay idle (no request, no byte of one) before it is
    /// closed: a client that opens connections and sends nothing ties up nothing for long.
    public static let idleTimeout: TimeAmount = .seconds(30)

    /// The node's HTTP application on `host:port`, over TLS when the node has a certificate
    /// (``Configuration/isTLS``: then a plain-http request gets no answer); run it in a
    /// service group beside the client.
    public func application(host: String, port: Int, logger: Logger) throws -> some ApplicationProtocol {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: Self.idleTimeout))
        let server = try configuration.tls?.serverConfiguration.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
        return Application(router: router(), server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: "tongban-\(configuration.signingKey.node)"),
                           logger: logger)
    }
}

extension NodeServer {
    /// A node ready to run: its database client, appender and HTTP application, as services
    /// for one `ServiceGroup` (the client first, so it shuts down last).
    public struct Running: Sendable {
        public let server: NodeServer
        public let client: PostgresClient
        public let syncWorker: SyncWorker?
        public let services: [any Service]
    }

    /// Assembles a node over the database at `database` (the service role), listening on
    /// `host:port`, with its projector unless `projecting` is false and its sync worker
    /// (pulling every `syncInterval`, at once when notified) and document prefetcher unless
    /// `syncing` is false; with the projector, the clerk that records deliveries every `deliveryInterval`. Throws when the node's TLS material cannot make a listener.
    public static func assemble(configuration: Configuration, database: PostgresClient.Configuration,
                                host: String, port: Int, projecting: Bool = true, syncing: Bool = true,
                                syncInterval: Duration = .seconds(5), deliveryInterval: Duration = .seconds(1), logger: Logger) async throws -> Running {
        let client = PostgresClient(configuration: database, backgroundLogger: logger)
        let metrics = NodeMetrics()
        let appender = EventAppender(client: client, signingKey: configuration.signingKey, keyring: configuration.federation.keyring, writerRules: CaseStreamWriters(),
                                     valueRules: configuration.federation.valueRules, clock: configuration.clock, metrics: metrics.factory, logger: logger)
        let checkpoints = CheckpointStore(client: client, key: configuration.signingKey, keyring: appender, logger: logger)
        let worker = syncing
            ? SyncWorker(federation: configuration.federation, key: configuration.signingKey, tls: configuration.tls, appender: appender,
                         reader: EventReader(client: client, logger: logger), notifier: LogNotifier(client: client, logger: logger),
                         checkpoints: checkpoints, interval: syncInterval, logger: logger)
            : nil
        let server = await NodeServer(configuration: configuration, client: client, appender: appender, syncWorker: worker, metrics: metrics)
        var services: [any Service] = [client]
        if projecting {
            services.append(ProjectorService(client: client, logger: logger))
            services.append(server.deliveryClerk(interval: deliveryInterval, logger: logger))
        }
        services.append(CheckpointService(store: checkpoints, logger: logger))
        if let worker {
            services.append(worker)
            if let delivery = server.keyHandOver.delivery {
                services.append(KeyCustodianService(custodian: server.keyHandOver.custodian, delivery: delivery, interval: syncInterval, logger: logger))
            }
            let documents = RecordDocuments(client: client, logger: logger)
            let centres = configuration.centres
            services.append(DocumentPrefetcher(peers: PeerClient(federation: configuration.federation, key: configuration.signingKey, tls: configuration.tls),
                                               store: DocumentStore(client: client, logger: logger), interval: syncInterval, logger: logger) {
                try await documents.missing(for: centres, skipping: $0, limit: $1)
            })
        }
        services.append(try server.application(host: host, port: port, logger: logger))
        return Running(server: server, client: client, syncWorker: worker, services: services)
    }
}

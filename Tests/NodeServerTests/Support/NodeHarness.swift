import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
import HummingbirdTesting
import NodeServer
import PostgresNIO
import Projections
import TestSupport
import Testing

/// A node served in-process over a fresh test database: every call goes through the real
/// router, middleware, workflow, appender and PostgreSQL.
struct NodeHarness: Sendable {
    /// What a call answered: its status and its JSON body (`null` for none).
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var json: JSONValue
        var headers: HTTPFields

        /// The problem type's slug, e.g. `invalid-transition`.
        var problemType: String? {
            json["type"]?.stringValue.map { String($0.dropFirst(Problem.typeBase.count)) }
        }
    }

    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    /// Fri 20 Nov 2026, 10:00 in China.
    static let now = Timestamp(iso8601: "2026-11-20T02:00:00Z")!

    let database: TestDatabase
    let server: NodeServer
    let client: any TestClientProtocol

    /// Runs `body` against a node `qingdao` that serves the Zhang story's three centres
    /// (and the rest of the example federation's), on its own database.
    static func run(_ body: @Sendable (NodeHarness) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await run(on: database, clock: NodeClock(.fixed(now)), body)
        }
    }

    /// The same node over `database` with another clock (a later "now", say), and, where
    /// given, its requests served over `client` instead of the database's service pool and
    /// stopped at `requestDeadline`, its sign-in page offering the centres (`devSignIn`).
    static func run(on database: TestDatabase, clock: NodeClock, client: PostgresClient? = nil, requestDeadline: Duration = .seconds(30),
                    devSignIn: Bool = false, _ body: @Sendable (NodeHarness) async throws -> Void) async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        let federation = try FederationFile.decode(data, source: "federation.example.json", requirePublicKeys: false)
        let key = TestDatabase.key("qingdao")
        var configuration = NodeServer.Configuration(
            federation: federation, signingKey: key, clock: clock,
            expectedSchemaVersion: try Migrator(directory: TestCluster.repositoryRoot + "/schema").latestVersion,
            centres: Set(federation.nodes.flatMap { $0.centres.map(\.id) }))
        configuration.requestDeadline = requestDeadline
        configuration.devSignIn = devSignIn
        let server = await NodeServer(configuration: configuration, client: client ?? database.service,
                                      appender: database.appender(node: "qingdao", clock: clock))
        let application = Application(router: server.router())
        try await application.test(.router) { client in
            try await body(NodeHarness(database: database, server: server, client: client))
        }
    }

    /// A staff token for `centre`.
    func token(_ centre: CentreID, staff: String = "staff-1", role: StaffRole = .staff) async throws -> String {
        try await server.tokens.issue(centre: centre, staff: staff, role: role, validity: .seconds(3600))
    }

    /// Calls the node as a staff member of `centre` (no token when `centre` is nil).
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, as centre: CentreID?, role: StaffRole = .staff,
              _ body: JSONValue? = nil) async throws -> Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let centre { headers[.authorization] = "Bearer \(try await token(centre, role: role))" }
        return try await send(method, path, headers: headers, body: try body.map { ByteBuffer(bytes: try CanonicalJSON.encode($0)) })
    }

    /// Sends a raw request.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: ByteBuffer?) async throws -> Answer {
        try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            let bytes = response.body.readableBytesView
            let json = bytes.isEmpty ? JSONValue.null : ((try? CanonicalJSON.decode(Array(bytes))) ?? .string(String(decoding: bytes, as: UTF8.self)))
            return Answer(status: response.status, json: json, headers: response.headers)
        }
    }

    /// Calls and requires `status`, returning the body.
    @discardableResult
    func expect(_ status: HTTPResponse.Status, _ method: HTTPRequest.Method, _ path: String, as centre: CentreID?,
                role: StaffRole = .staff, _ body: JSONValue? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let answer = try await call(method, path, as: centre, role: role, body)
        #expect(answer.status == status, "\(method) \(path) as \(centre?.rawValue ?? "nobody"): \(answer.json)", sourceLocation: sourceLocation)
        return answer.json
    }

    /// Brings every projection up to the log's head, as the node's projector would.
    func project() async throws {
        for projection in ProjectorService.all {
            try await Projector(projection: projection, client: database.service).catchUp()
        }
    }

    /// The items of `centre`'s inbox, projected first, as `kind@case-or-investigation`.
    func inbox(_ centre: CentreID) async throws -> [String] {
        try await project()
        let page = try await expect(.ok, .get, "/v1/inbox?limit=500", as: centre)
        guard case .array(let items)? = page["items"] else { return [] }
        return items.map { "\($0["kind"]?.stringValue ?? "?")@\($0["investigationId"]?.stringValue ?? $0["caseId"]?.stringValue ?? "?")" }
    }

    /// The number of events in the node's log; without `receipts`, those of delivery
    /// receipts are left out (a recipient's reading records one, whatever it reads for).
    func logSize(receipts: Bool = true) async throws -> Int {
        try await database.count(receipts ? "SELECT count(*)::int FROM events" : "SELECT count(*)::int FROM events WHERE stream_id NOT LIKE 'delivery-%'")
    }

    /// Zhang's application as DESIGN.md shows it, exempt as a migrant worker in Rizhao.
    /// A valid ID number of someone else each time: for tests of many cases that are not
    /// about one applicant's (the conflict check finds the same applicant's open cases).
    static func distinctIDNumber() -> String {
        "371121" + String(format: "%011llu", UInt64.random(in: 0..<100_000_000_000)) + "1"
    }

    static func application(jurisdiction: CentreID = licang, urgent: Bool = false, hardship: JSONValue? = nil,
                            idNumber: String = "371121198001011234", consent: Bool = true) -> JSONValue {
        .object([
            "applicant": .object(["name": "张某", "idNumber": .string(idNumber), "phone": "13800000000", "homeCity": "rizhao",
                                  "groups": .array(["migrant-worker"])]),
            "matter": .object(["litigation": true, "cause": "traffic-accident", "summary": "交通事故赔偿", "venue": "青岛市李沧区人民法院",
                               "jurisdictionCentre": .string(jurisdiction.rawValue)]),
            "urgent": .bool(urgent),
            "hardship": hardship ?? .object(["basis": "exempt", "group": "migrant-worker"]),
            "documents": .array([.object(["name": "申请表.pdf", "mediaType": "application/pdf", "size": 48213,
                                          "sha256": .string(String(repeating: "ab", count: 32))])]),
            "consent": .object(["shareWithJurisdiction": .bool(consent), "checksByOtherCities": .bool(consent)]),
        ])
    }
}

extension JSONValue {
    /// The integer at this value, for versions and counts.
    var int: Int64? { integerValue }
}

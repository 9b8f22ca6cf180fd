import CaseDomain
import Casework
import Crypto
import EventLog
import Federation
import Foundation
@testable import LocalPostgres
import NodeServer
import TestSupport
import Testing

/// Three city nodes on loopback share one log: the Zhang story crosses them, each centre
/// acts on its own node, and at the end every node holds the same events.
@Suite("Sync between city nodes", .serialized)
struct FederationSyncTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!

    /// Over https too: every node with a certificate from the federation's CA, each peer
    /// verified against it (the TLS of `serve --tls-cert`).
    @Test(arguments: F.Transport.allCases)
    func zhangsCaseCrossesThreeNodesAndTheirLogsConverge(over transport: F.Transport) async throws {
        try await F.run(transport: transport) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let (status, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
            #expect(status == 201, "\(created)")
            let caseID = try #require(created["caseId"]?.stringValue)
            let path = "/v1/cases/\(caseID)"
            try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])

            // The transfer reaches Licang's inbox on the Qingdao node.
            try await F.waitUntil("the transfer is in Licang's inbox on qingdao") {
                let (_, inbox) = try await federation.call(qingdao, "GET", "/v1/inbox", as: Self.licang)
                return inbox["items"]?[0]?["kind"] == "incoming-transfer" && inbox["items"]?[0]?["caseId"]?.stringValue == caseID
            }

            func expectOK(_ node: F.Node, _ action: String, as centre: CentreID, _ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
                let (status, answer) = try await federation.call(node, "POST", action, as: centre, body)
                #expect(status == 200 || status == 201, "\(action): \(answer)", sourceLocation: sourceLocation)
                return answer
            }
            // The case's key comes from Rizhao beside sync: Licang acts once it reads the application.
            try await F.waitUntil("Licang on qingdao reads the applicant's name") {
                let (_, view) = try await federation.call(qingdao, "GET", path, as: Self.licang)
                return view["applicant"]?["name"] == "张某"
            }
            let grant = try await expectOK(qingdao, "\(path)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
            #expect(grant["version"] == 4)
            let decided = try await expectOK(qingdao, "\(path)/decision", as: Self.licang, ["expectedVersion": 4, "granted": true, "reason": "同意"])
            #expect(decided["number"] == "LICANG-2026-000001")
            _ = try await expectOK(qingdao, "\(path)/lawyer", as: Self.licang, ["expectedVersion": 5, "lawyer": "李律师", "firm": "山东某所"])
            let requested = try await expectOK(qingdao, "\(path)/investigations", as: Self.licang, ["toCentre": "weihai-huancui", "questions": ["现场情况"], "dueDays": 10])
            let investigation = "/v1/investigations/\(try #require(requested["investigationId"]?.stringValue))"

            try await F.waitUntil("the request is in Huancui's inbox on weihai") {
                let (_, inbox) = try await federation.call(weihai, "GET", "/v1/inbox", as: Self.huancui)
                return inbox["items"]?[0]?["kind"] == "incoming-investigation"
            }
            let accepted = try await expectOK(weihai, "\(investigation)/accept", as: Self.huancui, ["expectedVersion": 1])
            #expect(accepted["number"] == "HUANCUI-XC-2026-000001")
            _ = try await expectOK(weihai, "\(investigation)/assign", as: Self.huancui, ["expectedVersion": 2, "lawyer": "王律师", "firm": "威海某所"])
            _ = try await expectOK(weihai, "\(investigation)/report", as: Self.huancui, ["expectedVersion": 3, "findings": "已取证"])
            try await F.waitUntil("the findings are in Licang's inbox on qingdao") {
                let (_, inbox) = try await federation.call(qingdao, "GET", "/v1/inbox", as: Self.licang)
                return inbox["items"]?[0]?["kind"] == "investigation-findings"
            }
            _ = try await expectOK(qingdao, "\(investigation)/acknowledge", as: Self.licang, ["expectedVersion": 4])

            // Every node ends with the same events, and Wulian on Rizhao sees where its case went.
            try await F.waitUntil("the three logs are identical") {
                let logs = try await federation.logs()
                return Set(logs.values.map { $0 }).count == 1 && (logs.values.first?.count ?? 0) >= 12
            }
            let (_, view) = try await federation.call(rizhao, "GET", path, as: Self.wulian)
            #expect(view["owner"] == "qingdao-licang" && view["number"] == "LICANG-2026-000001" && view["lawyer"] == "李律师")
            #expect(view["investigations"]?[0]?["phase"] == "acknowledged")
            let (_, timeline) = try await federation.call(weihai, "GET", "\(path)/timeline", as: Self.huancui)
            guard case .array(let events)? = timeline["events"] else { Issue.record("no timeline"); return }
            #expect(Set(events.compactMap { $0["node"]?.stringValue }) == ["rizhao", "qingdao", "weihai"], "the timeline names every recording node")

            // Operators scrape each node: what it wrote and imported, its commands, its lags;
            // never an applicant's data.
            let (scraped, metrics) = try await federation.request(qingdao, "GET", "/metrics")
            let text = metrics.stringValue ?? ""
            #expect(scraped == 200, "\(metrics)")
            for expected in [#"tongban_commands_total{command="POST /v1/cases/{id}/transfer/accept",status="200"} 1"#,
                             #"tongban_appended_events_total{kind="append"}"#, #"tongban_appended_events_total{kind="import"}"#,
                             #"tongban_append_duration_seconds_bucket{kind="append""#, #"tongban_inbox_query_duration_seconds_count"#,
                             #"tongban_projection_lag_events{projection="inbox"}"#, #"tongban_sync_lag_events{peer="rizhao"}"#,
                             "tongban_quarantined_events 0", "tongban_log_head_position"] {
                #expect(text.contains(expected), "/metrics lacks \(expected)")
            }
            #expect(!text.contains("371121198001011234") && !text.contains("张某") && !text.contains(caseID), "no personal data or ids in metrics")

            // An auditor reads the whole trail from any one node: every step in order, with
            // the node and centre that wrote it, each signature checked.
            let federationPath = FileManager.default.temporaryDirectory.appendingPathComponent("federation-\(UUID()).json").path
            try federation.federation.encoded().write(to: URL(fileURLWithPath: federationPath))
            let weihaiURL = weihai.database.cluster.url(user: "tongban_service", database: weihai.database.name)
            let audit = try await ServeCommandTests.tongban(["audit", "case", caseID, "--database-url", weihaiURL, "--federation", federationPath, "--json"])
            #expect(audit.status == 0, "\(audit.output)")
            // The document runs from the line "{" to the line "}" (stderr, in the same capture, may carry log lines).
            let lines = audit.output.split(separator: "\n", omittingEmptySubsequences: false)
            let first = try #require(lines.firstIndex(of: "{"), "\(audit.output)")
            let last = try #require(lines.lastIndex(of: "}"), "\(audit.output)")
            let trail = try CanonicalJSON.decode(Array(lines[first...last].joined(separator: "\n").utf8))
            guard case .array(let entries)? = trail["entries"] else { Issue.record("no entries: \(audit.output)"); return }
            let steps = entries.map { "\($0["type"]?.stringValue ?? "?") \($0["node"]?.stringValue ?? "?") \($0["centre"]?.stringValue ?? "?")" }
            #expect(steps == [
                "ApplicationSubmitted rizhao rizhao-wulian", "ApplicationAssessed rizhao rizhao-wulian", "TransferRequested rizhao rizhao-wulian",
                "TransferAccepted qingdao qingdao-licang", "AidDecided qingdao qingdao-licang", "LawyerAssigned qingdao qingdao-licang",
                "InvestigationRequested qingdao qingdao-licang", "InvestigationAccepted weihai weihai-huancui",
                "InvestigationLawyerAssigned weihai weihai-huancui", "InvestigationReported weihai weihai-huancui",
                "InvestigationAcknowledged qingdao qingdao-licang",
            ])
            #expect(entries.allSatisfy { $0["signature"] == "ok" })
            #expect(trail["owner"] == "qingdao-licang" && trail["number"] == "LICANG-2026-000001")
            let decidedAt = try #require(entries[4]["position"]?.integerValue)
            let then = try await ServeCommandTests.tongban(["audit", "case", caseID, "--database-url", weihaiURL, "--federation", federationPath,
                                                      "--as-of", "\(decidedAt)"])
            #expect(then.status == 0 && then.output.contains("5 event(s) up to global position \(decidedAt)")
                    && then.output.contains("state: granted, owner qingdao-licang"), "\(then.output)")
            // With a wrong key for Qingdao, Licang's events fail their check and the audit says so.
            var forged = federation.federation
            let qingdaoEntry = try #require(forged.nodes.firstIndex { $0.id == qingdao.id })
            forged.nodes[qingdaoEntry].publicKey = NodeSigningKey.generate(for: qingdao.id).publicKeyBase64
            try forged.encoded().write(to: URL(fileURLWithPath: federationPath))
            let broken = try await ServeCommandTests.tongban(["audit", "case", caseID, "--database-url", weihaiURL, "--federation", federationPath])
            #expect(broken.status == 2 && broken.output.contains("BROKEN: 5 event(s) fail their hash or signature check"), "\(broken.output)")

            // A scan uploaded at Wulian is read at Licang, whose application refers to it: fetched from a peer, checked, kept.
            let scan = Data("%PDF-1.7 张某申请表".utf8)
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()
            let wulianToken = try await rizhao.running.server.tokens.issue(centre: Self.wulian, staff: "s", role: .staff, validity: .seconds(60))
            #expect(try await federation.request(rizhao, "PUT", "/v1/documents/\(sha256)", token: wulianToken,
                                                 headers: ["Content-Type": "application/pdf"], rawBody: scan).0 == 201)
            let (submitted, application) = try await federation.call(qingdao, "POST", "/v1/cases", as: Self.licang,
                                                                     DocumentAccessTests.application(referring: sha256, size: scan.count))
            #expect(submitted == 201)
            // Rizhao serves the scan to a node one of whose centres takes part in a record that declares it.
            let referring = "case-" + (application["caseId"]?.stringValue ?? "")
            try await F.waitUntil("rizhao holds Licang's application referring to the scan") {
                try await rizhao.database.count("SELECT count(*)::int FROM events WHERE stream_id = '\(referring)'") > 0
            }
            let licangToken = try await qingdao.running.server.tokens.issue(centre: Self.licang, staff: "s", role: .staff, validity: .seconds(60))
            let (fetched, body) = try await federation.request(qingdao, "GET", "/v1/documents/\(sha256)", token: licangToken)
            #expect(fetched == 200 && body == .string("%PDF-1.7 张某申请表"))
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM documents") == 1, "the fetched scan is kept")
            #expect(try await federation.request(qingdao, "GET", "/v1/documents/\(String(repeating: "0", count: 64))", token: licangToken).0 == 404)
        }
    }

    /// Scans travel ahead of the people who need them: once Wulian transfers its case to
    /// Licang, the Qingdao node fetches the case's scan in the background, before anyone
    /// opens it; Weihai holds the same events but takes no part, and fetches nothing.
    @Test func scansReachTheNodesOfTheCentresThatTakePartInTheBackground() async throws {
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let scan = Data("%PDF-1.7 张某身份证明".utf8)
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()
            let wulianToken = try await rizhao.running.server.tokens.issue(centre: Self.wulian, staff: "s", role: .staff, validity: .seconds(60))
            #expect(try await federation.request(rizhao, "PUT", "/v1/documents/\(sha256)", token: wulianToken,
                                                 headers: ["Content-Type": "application/pdf"], rawBody: scan).0 == 201)
            guard case .object(var application) = NodeHarness.application() else { Issue.record("no application"); return }
            application["documents"] = .array([.object(["name": "身份证明.pdf", "mediaType": "application/pdf",
                                                        "size": .integer(Int64(scan.count)), "sha256": .string(sha256)])])
            let (status, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, .object(application))
            #expect(status == 201, "\(created)")
            let path = "/v1/cases/\(try #require(created["caseId"]?.stringValue))"
            let held = "SELECT count(*)::int FROM documents WHERE sha256 = '\(sha256)'"
            try await Task.sleep(for: .seconds(3))
            #expect(try await qingdao.database.count(held) == 0, "Licang takes no part before the transfer")

            try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            try await F.waitUntil("qingdao holds the scan without anyone reading it") { try await qingdao.database.count(held) == 1 }
            try await F.waitUntil("weihai holds the transfer") {
                try await weihai.database.count("SELECT count(*)::int FROM events WHERE type = 'TransferRequested'") == 1
            }
            try await Task.sleep(for: .seconds(3))
            #expect(try await weihai.database.count(held) == 0, "Weihai's centres take no part in the case")
        }
    }

    @Test func syncEndpointsTakeOnlyFreshNodeSignedRequests() async throws {
        try await F.run { federation in
            let qingdao = federation["qingdao"]
            let body = Data(#"{"limit":10,"vector":{}}"#.utf8)
            let token = try await qingdao.running.server.tokens.issue(centre: Self.licang, staff: "s", role: .auditor, validity: .seconds(60))
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", rawBody: body).0 == 401, "unsigned")
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", token: token, rawBody: body).0 == 401, "a staff token is no node signature")

            func signed(_ key: NodeSigningKey, at time: Int64, body: Data, to receiver: String = "qingdao", path: String = "/v1/sync/pull") throws -> [String: String] {
                Dictionary(uniqueKeysWithValues: try NodeRequestSignature.headers(method: "POST", path: path, body: body, key: key,
                                                                                   to: NodeID(rawValue: receiver)!, at: time))
            }
            let now = Timestamp(Date()).millisecondsSinceEpoch
            let rizhaoKey = TestSupport.TestDatabase.key("rizhao")
            let good = try signed(rizhaoKey, at: now, body: body)
            let (status, answer) = try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: good, rawBody: body)
            #expect(status == 200 && answer["events"] != nil, "\(answer)")
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: good, rawBody: body).0 == 401, "a replayed request")
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(rizhaoKey, at: now - 120_000, body: body), rawBody: body).0 == 401, "a stale request")
            let other = Data(#"{"limit":11,"vector":{}}"#.utf8)
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(rizhaoKey, at: now + 1, body: body), rawBody: other).0 == 401, "a body that was not signed")
            let stranger = NodeSigningKey.generate(for: NodeID(rawValue: "harbin")!)
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(stranger, at: now, body: body), rawBody: body).0 == 401, "an unknown node")
            let impostor = NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!)
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(impostor, at: now + 2, body: body), rawBody: body).0 == 401, "a forged signature")
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(rizhaoKey, at: now + 3, body: body, to: "weihai"), rawBody: body).0 == 401,
                    "a request signed for Weihai, replayed to Qingdao")
            // Issue 13, item 1: the most negative timestamp once overflowed the window check and killed the process.
            for timestamp in ["-9223372036854775808", "9223372036854775807", "1e3", String(repeating: "9", count: 5000)] {
                let hostile = ["X-Tongban-Node": "rizhao", "X-Tongban-Timestamp": timestamp, "X-Tongban-Signature": "AAAA"]
                #expect(try await federation.request(qingdao, "POST", "/v1/sync/notify", headers: hostile, rawBody: Data("{}".utf8)).0 == 401, "timestamp \(timestamp.prefix(30))")
            }
            // A notification is tiny: a signed one with a large body is refused before its signature is checked.
            let large = Data(repeating: UInt8(ascii: " "), count: 64 * 1024)
            #expect(try await federation.request(qingdao, "POST", "/v1/sync/notify", headers: try signed(rizhaoKey, at: now + 4, body: large, path: "/v1/sync/notify"),
                                                 rawBody: large).0 == 413)
            #expect(try await federation.request(qingdao, "GET", "/health").0 == 200, "the node is alive")

            // Pull pages are bounded in bytes as well as events: 150 events of ~60 KB are more than one page holds.
            let appender = qingdao.database.appender(node: "qingdao")
            let field = JSONValue.string(String(repeating: "长", count: 4000))
            let big = NewEvent(type: "OperatorNoteRecorded", actor: Actor(centre: Self.licang, staff: "s"),
                               body: .object(Dictionary(uniqueKeysWithValues: (1...5).map { ("note\($0)", field) })))
            for index in 0..<150 { _ = try await appender.append(to: "notes-\(index)", expectedVersion: 0, events: [big]) }
            let pull = Data(#"{"limit":5000,"vector":{}}"#.utf8)
            let (paged, page) = try await federation.request(qingdao, "POST", "/v1/sync/pull", headers: try signed(rizhaoKey, at: now + 5, body: pull), rawBody: pull)
            let served = page["events"].flatMap { if case .array(let events) = $0 { events.count } else { nil } } ?? 0
            #expect(paged == 200 && served > 1 && served < 150 && page["more"] == .bool(true), "\(served) events in one page")
        }
    }

    /// Invariant 5 across nodes: Yantai (a node with no business in the case) answers the
    /// transfer Wulian sent to Licang, and Licang answers it too. Rizhao holds Yantai's answer
    /// first; still, on every node Licang's answer is the one applied and Yantai's is kept in
    /// quarantine, and the logs converge.
    @Test func aSecondAnswerToATransferIsQuarantinedOnEveryNode() async throws {
        let yantai = NodeSigningKey.generate(for: NodeID(rawValue: "yantai")!)
        try await F.run(absentNodes: [yantai]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let (_, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application(idNumber: NodeHarness.distinctIDNumber()))
            let caseID = try #require(created["caseId"]?.stringValue)
            let path = "/v1/cases/\(caseID)"
            try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            try await F.waitUntil("the transfer is in Licang's inbox on qingdao") {
                let (_, inbox) = try await federation.call(qingdao, "GET", "/v1/inbox", as: Self.licang)
                return inbox["items"]?[0]?["kind"] == "incoming-transfer"
            }

            // Yantai's answer reaches Rizhao before Licang's does.
            let forged = try SignedEvent(signing: EventEnvelope(
                eventId: .version7(at: Timestamp(Date())), originNode: yantai.node, originSeq: 1, streamId: "case-\(caseID)", streamVersion: 4,
                type: "TransferReturned", schemaVersion: 1, recordedAt: Timestamp(Date()),
                actor: Actor(centre: CentreID(rawValue: "yantai-zhifu")!, staff: "rogue"),
                body: ["centre": "yantai-zhifu", "reason": "不属本中心"], prevHash: .genesis
            ), with: yantai)
            let rizhaoImport = EventAppender(client: rizhao.database.service, signingKey: TestDatabase.key("rizhao"),
                                             keyring: federation.federation.keyring, writerRules: CaseStreamWriters())
            let outcome = try await rizhaoImport.importEvents([forged])
            #expect(outcome.imported == 1 && outcome.quarantined[forged.hash]?.hasPrefix("not-the-writer") == true, "\(outcome)")

            let (status, accepted) = try await federation.call(qingdao, "POST", "\(path)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
            #expect(status == 200 && accepted["version"] == 4, "\(accepted)")
            try await F.waitUntil("the three logs are identical") {
                let logs = try await federation.logs()
                return Set(logs.values).count == 1 && logs.values.first?.count == 5
            }
            for node in [rizhao, qingdao, weihai] {
                let rows = try await node.database.superuser.query("""
                    SELECT origin_node, stream_version FROM events WHERE quarantine_reason IS NOT NULL
                    """)
                var quarantined: [String] = []
                for try await (origin, version) in rows.decode((String, Int64).self) { quarantined.append("\(origin) v\(version)") }
                #expect(quarantined == ["yantai v4"], "on \(node.id)")
                let stream = try await EventReader(client: node.database.service).readStream("case-\(caseID)")
                #expect(stream.map(\.envelope.originNode.rawValue) == ["rizhao", "rizhao", "rizhao", "qingdao"], "on \(node.id)")
            }
            // The quarantined answer reaches no projection: no returned transfer waits at Wulian.
            try await F.waitUntil("Rizhao's projections have caught up") {
                try await rizhao.database.count("SELECT min(position)::int FROM projections.checkpoints") == 5
            }
            let (_, inbox) = try await federation.call(rizhao, "GET", "/v1/inbox", as: Self.wulian)
            #expect(inbox["items"] == [], "\(inbox)")
        }
    }

    /// Invariant 8 through a relay: Rizhao and Qingdao cannot reach each other, so every
    /// event between them goes through Weihai; under concurrent writes on all three nodes
    /// the logs still converge and a transfer still crosses.
    /// Invariant 8 under a concurrent workload: Rizhao and Qingdao cannot reach each other,
    /// and Weihai, the only way between them, is stopped in the middle of the writes and
    /// started again. Writes go on at every node that is up; once Weihai is back, events
    /// relay through it and all three logs converge.
    @Test func nodesConvergeThroughABlockedLinkAndARestartedRelay() async throws {
        try await F.run(blockedLinks: [("rizhao", "qingdao")]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            @Sendable func submit(at writers: [(F.Node, CentreID)], each count: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (node, centre) in writers {
                        for _ in 0..<count {
                            group.addTask {
                                let (status, answer) = try await federation.call(node, "POST", "/v1/cases", as: centre,
                                                                                 NodeHarness.application(idNumber: NodeHarness.distinctIDNumber()))
                                #expect(status == 201, "\(answer)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await submit(at: [(rizhao, Self.wulian), (qingdao, Self.licang), (weihai, Self.huancui)], each: 8)
            try await weihai.process.stop()

            // With the relay down, writes go on; Wulian's transfer has no way to Licang.
            async let moreCases: Void = submit(at: [(rizhao, Self.wulian), (qingdao, Self.licang)], each: 8)
            let (_, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application(idNumber: NodeHarness.distinctIDNumber()))
            let path = "/v1/cases/\(try #require(created["caseId"]?.stringValue))"
            try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            try await moreCases
            try await Task.sleep(for: .seconds(1))
            #expect(try await federation.call(qingdao, "GET", path, as: Self.licang).0 == 404, "nothing reaches Licang while the relay is down")

            try await weihai.process.start()
            try await federation.waitUntilReady(weihai)
            try await F.waitUntil("the transfer reaches Licang on qingdao through the restarted weihai") {
                (try await federation.call(qingdao, "GET", path, as: Self.licang).1["phase"]) == "transfer-pending"
            }
            let (status, answer) = try await federation.call(qingdao, "POST", "\(path)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
            #expect(status == 200, "\(answer)")
            try await F.waitUntil("the three logs are identical") {
                let logs = try await federation.logs()
                // ... and the transfer's receipt: delivered at Qingdao, opened by Licang.
                return Set(logs.values).count == 1 && logs.values.first?.count == 8 * 3 + 8 * 2 + 4 + 2
            }
            #expect(try await federation.call(rizhao, "GET", path, as: Self.wulian).1["owner"] == "qingdao-licang")
            let rizhaosView = try #require(await rizhao.running.syncWorker?.peerStatus)
            #expect(rizhaosView.first { $0.node == "qingdao" }?.lastContact == nil, "the blocked link was never used")
            #expect(rizhaosView.first { $0.node == "weihai" }?.lastContact != nil)
            for node in [rizhao, qingdao, weihai] {
                #expect(try await node.database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0, "on \(node.id)")
            }
        }
    }
}

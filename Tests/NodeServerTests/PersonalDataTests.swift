import CaseDomain
import Crypto
import EventLog
import Federation
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// Personal data on a need-to-know basis across five nodes: one log every node holds and
/// verifies, plain text only where a centre of the case is.
@Suite("Personal data across the federation")
struct PersonalDataTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    static let zhang = ["张某", "371121198001011234", "13800000000"]

    /// Every text of `node`'s database: each table of the node and its projections as text,
    /// and the raw envelope bytes of every event.
    static func everything(_ node: F.Node) async throws -> String {
        var text = ""
        let tables = try await node.database.superuser.query("""
            SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
             WHERE table_schema IN ('public', 'projections') AND table_type = 'BASE TABLE'
            """)
        var names: [String] = []
        for try await name in tables.decode(String.self) { names.append(name) }
        #expect(names.contains("public.events") && names.contains("projections.case_views"))
        for name in names {
            let rows = try await node.database.superuser.query(PostgresQuery(unsafeSQL: "SELECT t::text FROM \(name) t"))
            for try await row in rows.decode(String.self) { text += row + "\n" }
        }
        let envelopes = try await node.database.superuser.query("SELECT convert_from(envelope, 'UTF8') FROM events")
        for try await envelope in envelopes.decode(String.self) { text += envelope + "\n" }
        return text
    }

    /// Whether `text` holds `secret` as UTF-8, as JSON's `\u` escapes or as PostgreSQL's bytea hex.
    static func holds(_ text: String, _ secret: String) -> Bool {
        let escaped = secret.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
        let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
        return text.contains(secret) || text.lowercased().contains(escaped) || text.contains(hex)
    }

    @Test func zhangsDataStaysWithTheCentresOfHisCaseAcrossFiveNodes() async throws {
        try await F.run(cities: ["rizhao", "qingdao", "weihai", "weifang", "yantai"]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            func ok(_ node: F.Node, _ path: String, as centre: CentreID, _ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
                let (status, answer) = try await federation.call(node, "POST", path, as: centre, body)
                #expect(status == 200 || status == 201, "\(path): \(answer)", sourceLocation: sourceLocation)
                return answer
            }
            let caseID = try #require(try await ok(rizhao, "/v1/cases", as: Self.wulian, NodeHarness.application())["caseId"]?.stringValue)
            let path = "/v1/cases/\(caseID)"
            _ = try await ok(rizhao, "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            _ = try await ok(rizhao, "\(path)/transfer", as: Self.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            try await F.waitUntil("Licang on qingdao reads Zhang's name") {
                let (_, view) = try await federation.call(qingdao, "GET", path, as: Self.licang)
                return view["applicant"]?["name"] == "张某"
            }
            _ = try await ok(qingdao, "\(path)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
            _ = try await ok(qingdao, "\(path)/decision", as: Self.licang, ["expectedVersion": 4, "granted": true, "reason": "同意"])
            // Licang asks Huancui to check the car company and shares nothing of Zhang's.
            let investigation = try #require(try await ok(qingdao, "\(path)/investigations", as: Self.licang,
                                                          ["toCentre": "weihai-huancui", "questions": ["肇事车辆所属公司情况"], "dueDays": 10])["investigationId"]?.stringValue)
            try await F.waitUntil("Huancui reads the request's questions") {
                let (_, timeline) = try await federation.call(weihai, "GET", "\(path)/timeline", as: Self.huancui)
                return timeline["events"]?.arrayValue?.contains { $0["body"]?["questions"]?[0] == "肇事车辆所属公司情况" } == true
            }
            _ = try await ok(weihai, "/v1/investigations/\(investigation)/accept", as: Self.huancui, ["expectedVersion": 1])
            _ = try await ok(weihai, "/v1/investigations/\(investigation)/assign", as: Self.huancui, ["expectedVersion": 2, "lawyer": "王律师", "firm": "威海某所"])
            _ = try await ok(weihai, "/v1/investigations/\(investigation)/report", as: Self.huancui, ["expectedVersion": 3, "findings": "公司登记在环翠"])
            try await F.waitUntil("the five logs are identical") {
                let logs = try await federation.logs()
                return logs.count == 5 && Set(logs.values).count == 1 && (logs.values.first?.count ?? 0) >= 11
            }
            let (_, atLicang) = try await federation.call(qingdao, "GET", "/v1/investigations/\(investigation)", as: Self.licang)
            #expect(atLicang["findings"] == "公司登记在环翠", "the requester reads the findings")

            // Rizhao and Qingdao show Zhang to their staff; Weihai was given nothing of his.
            for (node, centre) in [(rizhao, Self.wulian), (qingdao, Self.licang)] {
                let (_, view) = try await federation.call(node, "GET", path, as: centre)
                #expect(view["applicant"]?["name"] == "张某" && view["applicant"]?["idNumber"] == "3711**********1234"
                        && view["personalData"] == "readable", "\(node.id): \(view)")
            }
            let (_, atHuancui) = try await federation.call(weihai, "GET", path, as: Self.huancui)
            #expect((atHuancui["applicant"]?["name"] ?? .null) == .null && atHuancui["personalData"] == "sealed", "\(atHuancui)")

            for city in ["weifang", "yantai", "weihai"] {
                let text = try await Self.everything(federation[city])
                for secret in Self.zhang + ["交通事故赔偿"] {
                    #expect(!Self.holds(text, secret), "\(city)'s database holds \(secret)")
                }
            }
            #expect(Self.holds(try await Self.everything(qingdao), "肇事车辆所属公司情况") == false, "questions are sealed in the log too")

            for node in federation.nodes.values {
                let report = try await ChainVerifier(client: node.database.service, keyring: federation.federation.keyring).verify()
                #expect(report.isIntact && report.eventsChecked >= 11, "\(node.id): \(report.problems)")
            }

            // Every plain-text read on Qingdao is in its access log, by whom and what.
            let reads = try await qingdao.database.count("SELECT count(*)::int FROM access_log WHERE record_id = '\(caseID)' AND staff = 'staff-1' AND centre = 'qingdao-licang'")
            #expect(reads >= 2)
            #expect(try await weihai.database.count("SELECT count(*)::int FROM access_log WHERE 'name' = ANY(fields)") == 0,
                    "Huancui read no name: nothing of the kind recorded")
        }
    }

    @Test func aRequestThatSharesTheNameGivesTheNameAndNothingElse() async throws {
        try await F.run(cities: ["qingdao", "weihai"]) { federation in
            let qingdao = federation["qingdao"], weihai = federation["weihai"]
            let application = NodeHarness.application(jurisdiction: Self.licang)
            let (_, created) = try await federation.call(qingdao, "POST", "/v1/cases", as: Self.licang, application)
            let caseID = try #require(created["caseId"]?.stringValue)
            let path = "/v1/cases/\(caseID)"
            _ = try await federation.call(qingdao, "POST", "\(path)/assessment", as: Self.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            _ = try await federation.call(qingdao, "POST", "\(path)/decision", as: Self.licang, ["expectedVersion": 2, "granted": true, "reason": "同意"])
            let (status, answer) = try await federation.call(qingdao, "POST", "\(path)/investigations", as: Self.licang,
                                                             ["toCentre": "weihai-huancui", "questions": ["核实身份"], "dueDays": 5, "shares": ["name"]])
            #expect(status == 201, "\(answer)")
            try await F.waitUntil("Huancui reads the shared name") {
                let (_, view) = try await federation.call(weihai, "GET", path, as: Self.huancui)
                return view["applicant"]?["name"] == "张某"
            }
            let (_, view) = try await federation.call(weihai, "GET", path, as: Self.huancui)
            #expect((view["applicant"]?["idNumber"] ?? .null) == .null && (view["applicant"]?["phone"] ?? .null) == .null && view["personalData"] == "partial", "\(view)")
            let text = try await Self.everything(weihai)
            #expect(!Self.holds(text, "371121198001011234") && !Self.holds(text, "13800000000"))
        }
    }

    @Test func aNodeThatTookNoPartInACaseCannotPlantAKeyForIt() async throws {
        try await F.run(cities: ["rizhao", "qingdao"], absentNodes: [TestDatabase.key("weifang")]) { federation in
            let rizhao = federation["rizhao"]
            let scan = Data("%PDF-1.7 张某的身份证".utf8)
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()
            let token = try await rizhao.running.server.tokens.issue(centre: Self.wulian, staff: "staff-1", role: .staff, validity: .seconds(600))
            let (uploaded, _) = try await federation.request(rizhao, "PUT", "/v1/documents/\(sha256)", token: token,
                                                             headers: ["Content-Type": "application/pdf"], rawBody: scan)
            #expect(uploaded == 201)
            var application = NodeHarness.application()
            if case .object(var fields) = application {
                fields["documents"] = [["name": "身份证.pdf", "mediaType": "application/pdf", "size": .integer(Int64(scan.count)), "sha256": .string(sha256)]]
                application = .object(fields)
            }
            let (_, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, application)
            let caseID = try #require(created["caseId"]?.stringValue)
            let weifang = TestDatabase.key("weifang")
            let planted = try KeyGrant.seal(GrantedKeys(recordKey: SymmetricKey(size: .bits256)), record: caseID, from: weifang.node,
                                            to: rizhao.id.rawValue, recipientKey: NodeEncryptionKey(derivedFrom: TestDatabase.key("rizhao")).privateKey.publicKey)
            let peers = PeerClient(federation: federation.federation, key: weifang)
            let target = try #require(peers.peers.first { $0.id == rizhao.id })
            let answer = try await peers.send("POST", "/v1/sync/key-grants", to: target,
                                              body: try JSONEncoder().encode(KeyGrantMessage(grants: [planted])))
            let json = try CanonicalJSON.decode(Array(answer.body.readableBytesView))
            #expect(answer.status == 200 && json["stored"] == 0 && json["refused"]?.arrayValue?.count == 1, "\(json)")
            #expect(try await rizhao.database.count("SELECT count(*)::int FROM record_keys WHERE granted_by = 'weifang'") == 0)
            try await F.waitUntil("the case's scan is referenced in rizhao's projections") {
                try await rizhao.database.count("SELECT count(*)::int FROM projections.record_documents WHERE sha256 = '\(sha256)'") == 1
            }
            let fetched = try await peers.send("GET", "/v1/sync/documents/\(sha256)", to: target)
            #expect(fetched.status == 404, "a node whose centres take no part gets no scan")
        }
    }
}

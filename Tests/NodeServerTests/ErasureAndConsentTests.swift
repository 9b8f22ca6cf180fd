import CaseDomain
import Crypto
import EventLog
import Foundation
import Hummingbird
import NIOCore
import PostgresNIO
import Projections
import TestSupport
import Testing

/// Consent before sharing; erasure after the retention period: every key destroyed, the
/// log intact, the case still counted.
@Suite("Consent and erasure")
struct ErasureAndConsentTests {
    typealias H = NodeHarness

    @Test func aTransferWithoutConsentIsRefusedNamingItAndALegalBasisAllowsIt() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application(consent: false))
            let path = "/v1/cases/\(try #require(created["caseId"]?.stringValue))"
            try await node.expect(.ok, .post, "\(path)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "\(path)/transfer", as: H.wulian,
                                           ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"],
                                           field: "consent.shareWithJurisdiction")
            try await node.expect(.ok, .post, "\(path)/transfer", as: H.wulian,
                                  ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖", "legalBasis": "《法律援助法》第三十八条"])
        }
    }

    /// A request to another city shares its questions, and `shares` more: consent to checks,
    /// or a legal basis; within the city it needs neither.
    @Test func anInvestigationToAnotherCityNeedsConsentToChecks() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(consent: false))
            let path = "/v1/cases/\(try #require(created["caseId"]?.stringValue))"
            try await node.expect(.ok, .post, "\(path)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "\(path)/investigations", as: H.licang,
                                           ["toCentre": "weihai-huancui", "questions": ["q"], "dueDays": 5, "shares": ["idNumber"]],
                                           field: "consent.checksByOtherCities")
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "\(path)/investigations", as: H.licang,
                                           ["toCentre": "weihai-huancui", "questions": ["q"], "dueDays": 5], field: "consent.checksByOtherCities")
            try await node.expect(.created, .post, "\(path)/investigations", as: H.licang,
                                  ["toCentre": "qingdao-shinan", "questions": ["q"], "dueDays": 5])
            try await node.expect(.created, .post, "\(path)/investigations", as: H.licang,
                                  ["toCentre": "weihai-huancui", "questions": ["q"], "dueDays": 5, "legalBasis": "《法律援助法》第五十条"])
        }
    }

    /// Zhang's case to its archive, with a scan: the case id and the scan's bytes.
    static func archivedCase(_ node: NodeHarness) async throws -> (String, String) {
        let scan = ByteBuffer(string: "%PDF-1.7 张某 身份证 371121198001011234")
        let sha256 = SHA256.hash(data: scan.readableBytesView).map { String(format: "%02x", $0) }.joined()
        let headers: HTTPFields = [.authorization: "Bearer \(try await node.token(H.licang))", .contentType: "application/pdf"]
        #expect(try await node.send(.put, "/v1/documents/\(sha256)", headers: headers, body: scan).status == .created)
        var application = H.application(jurisdiction: H.licang)
        if case .object(var fields) = application {
            fields["documents"] = [["name": "身份证.pdf", "mediaType": "application/pdf", "size": .integer(Int64(scan.readableBytes)), "sha256": .string(sha256)]]
            application = .object(fields)
        }
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, application)
        let caseID = try #require(created["caseId"]?.stringValue)
        let path = "/v1/cases/\(caseID)"
        for (step, body) in [("assessment", ["eligible": true, "reason": "ok"]), ("decision", ["granted": true, "reason": "同意"]),
                             ("lawyer", ["lawyer": "李律师", "firm": "某所"]), ("originals-collected", [:]),
                             ("close", ["outcome": "调解", "recoveredAmount": 100]), ("archive", [:])] as [(String, JSONValue)] {
            var fields: [String: JSONValue] = [:]
            if case .object(let given) = body { fields = given }
            fields["expectedVersion"] = .integer(try await node.expect(.ok, .get, path, as: H.licang)["version"]?.integerValue ?? 0)
            try await node.expect(.ok, .post, "\(path)/\(step)", as: H.licang, .object(fields))
        }
        return (caseID, sha256)
    }

    static func text(_ database: TestDatabase, _ sql: String) async throws -> String? {
        for try await value in try await database.superuser.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { return value }
        return nil
    }

    @Test func anErasedCaseShowsNoPersonalDataAnywhereWhileTheLogVerifiesAndTheCaseCounts() async throws {
        try await withTestDatabase { database in
            try await H.run(on: database, clock: NodeClock(.fixed(H.now))) { node in
                let (caseID, _) = try await Self.archivedCase(node)
                let path = "/v1/cases/\(caseID)"
                let version = try await node.expect(.ok, .get, path, as: H.licang)["version"]?.integerValue ?? 0
                try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "\(path)/erasure", as: H.licang, role: .supervisor,
                                               ["expectedVersion": .integer(version), "reason": "保存期满"])
            }
            // Sixteen years on, past Qingdao's retention period (the default fifteen years).
            let later = H.now.adding(days: 16 * 365)
            let caseID = try #require(try await Self.text(database, "SELECT case_id FROM projections.case_views"))
            let sha256 = try #require(try await Self.text(database, "SELECT sha256 FROM documents"))
            try await H.run(on: database, clock: NodeClock(.fixed(later))) { node in
                let path = "/v1/cases/\(caseID)"
                let version = try await node.expect(.ok, .get, path, as: H.licang)["version"]?.integerValue ?? 0
                try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "\(path)/erasure", as: H.licang,
                                               ["expectedVersion": .integer(version), "reason": "保存期满"])
                try await node.expect(.ok, .post, "\(path)/erasure", as: H.licang, role: .supervisor,
                                      ["expectedVersion": .integer(version), "reason": "保存期满"])
                try await node.project()

                let view = try await node.expect(.ok, .get, path, as: H.licang)
                #expect(view["personalData"] == "erased" && (view["applicant"]?["name"] ?? .null) == .null && view["phase"] == "archived", "\(view)")
                let timeline = try await node.expect(.ok, .get, "\(path)/timeline", as: H.licang)
                let text = String(decoding: try CanonicalJSON.encode(timeline), as: UTF8.self)
                #expect(!text.contains("张某") && !text.contains("调解"), "the timeline shows no plain text after the erasure")
                #expect(try await node.send(.get, "/v1/documents/\(sha256)",
                                            headers: [.authorization: "Bearer \(try await node.token(H.licang))"], body: nil).status == .notFound)
                #expect(try await database.count("SELECT count(*)::int FROM record_keys WHERE record_id = '\(caseID)'") == 0)
                #expect(try await database.count("SELECT count(*)::int FROM documents WHERE sha256 = '\(sha256)'") == 0)
                #expect(try await database.count("SELECT count(*)::int FROM erased_records WHERE record_id = '\(caseID)' AND documents = 1") == 1)
                #expect(try await database.count("SELECT count(*)::int FROM projections.case_views WHERE case_id = '\(caseID)'") == 1,
                        "the case still counts")

                let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
                #expect(report.isIntact, "\(report.problems)")
                let replay = Replay(projections: ProjectorService.all, into: try #require(ProjectionSchema("erasure_replay")), client: database.owner)
                try await replay.rebuild()
                #expect(try await replay.compareWithLive().matches, "replay after the erasure equals live")
                try await RefusalTests.refused(node, .conflict, "invalid-transition", .post, "\(path)/erasure", as: H.licang, role: .supervisor,
                                               ["expectedVersion": .integer(version + 1), "reason": "again"])
            }
        }
    }

    @Test func aCaseRecordedBeforeSealingTakesItsNextStepsSealedAndCannotBeErasedByKeys() async throws {
        try await H.run { node in
            let caseID = UUID().uuidString.lowercased()
            let plain: JSONValue = [
                "intakeCentre": "qingdao-licang",
                "applicant": ["name": "张某", "idNumber": "371121198001011234", "phone": "13800000000", "homeCity": "qingdao", "groups": []],
                "matter": ["litigation": true, "cause": "labour", "summary": "欠薪", "venue": "青岛市李沧区人民法院", "jurisdictionCentre": "qingdao-licang"],
                "urgent": false, "hardship": ["promise": ["statement": "本人承诺"]], "documents": [],
            ]
            _ = try await node.database.appender(node: "qingdao", clock: NodeClock(.fixed(H.now))).append(
                to: "case-\(caseID)", expectedVersion: 0,
                events: [NewEvent(type: "ApplicationSubmitted", actor: Actor(centre: H.licang, staff: "老系统"), body: plain)])
            try await node.project()
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang)
            #expect(view["applicant"]?["name"] == "张某" && view["version"] == 2, "\(view)")
            let stored = try #require(try await EventReader(client: node.database.service).readStream("case-\(caseID)").last)
            #expect(stored.envelope.schemaVersion == SealedBody.schemaVersion && stored.envelope.body["reason"] == nil, "the new step is sealed")
        }
    }
}


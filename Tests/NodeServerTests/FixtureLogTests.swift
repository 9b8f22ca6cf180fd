import CaseDomain
import Casework
import Crypto
import EventLog
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import NodeServer
import Projections
import TestSupport
import Testing

/// A log written by an earlier version of tongban stays readable: the committed fixture
/// (`Fixtures/log-v1.json`, schema-version-1 bodies in plain text, signed by a node key of
/// its own) is imported into a fresh node, verified, projected and replayed by today's code.
@Suite("A log written by an earlier version")
struct FixtureLogTests {
    typealias H = NodeHarness

    static let path = TestCluster.repositoryRoot + "/Tests/NodeServerTests/Fixtures/log-v1.json"

    /// The fixture as it is stored: the writing node's public key and its events.
    struct Fixture: Codable {
        struct Event: Codable { var envelope: String; var hash: String; var signature: String }
        var node: String
        var publicKey: String
        var events: [Event]

        func signedEvents() throws -> [SignedEvent] {
            try events.map {
                try SignedEvent(canonicalBytes: Array(try #require(Data(base64Encoded: $0.envelope))),
                                hash: try #require(EventHash(hex: $0.hash)),
                                signature: Array(try #require(Data(base64Encoded: $0.signature))))
            }
        }

        var keyring: OriginKeyring {
            get throws {
                let key = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Data(base64Encoded: publicKey)))
                return OriginKeyring([try #require(NodeID(rawValue: node)): key])
            }
        }
    }

    static func load() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func theFixtureImportsVerifiesProjectsAndReplaysWithTodaysCode() async throws {
        let fixture = try Self.load()
        let events = try fixture.signedEvents()
        #expect(events.count == 28, "the fixture as committed")
        try await withTestDatabase { database in
            let appender = EventAppender(client: database.service, signingKey: TestDatabase.key("rizhao"), keyring: try fixture.keyring)
            let outcome = try await appender.importEvents(events)
            #expect(outcome.refused.isEmpty && outcome.deferred == 0 && outcome.quarantined.isEmpty, "every fixture event imports: \(outcome)")
            #expect(try await database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NULL") == events.count)

            let report = try await ChainVerifier(client: database.service, keyring: try fixture.keyring).verify()
            #expect(report.isIntact, "\(report.problems)")

            for projection in ProjectorService.all {
                try await Projector(projection: projection, client: database.service).catchUp()
            }
            #expect(try await database.count("SELECT count(*)::int FROM projections.parked_events") == 0, "every fixture event is read by today's domain")
            #expect(try await database.count("SELECT count(*)::int FROM projections.case_views") == 4)
            #expect(try await database.count("SELECT count(*)::int FROM projections.case_views WHERE phase = 'archived'") == 1)
            #expect(try await database.count("SELECT count(*)::int FROM projections.certificates") == 1)

            let replay = Replay(projections: ProjectorService.all, into: try #require(ProjectionSchema("fixture_replay")), client: database.owner)
            try await replay.rebuild()
            #expect(try await replay.compareWithLive().matches, "replay of the fixture equals its live projections")
        }
    }

    /// Writes the fixture with this version's code: `TONGBAN_WRITE_FIXTURE_LOG=1 swift test --filter writesTheFixture`.
    /// A later schema version writes a fixture of its own beside this one; this one is never rewritten.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TONGBAN_WRITE_FIXTURE_LOG"] != nil))
    func writesTheFixture() async throws {
        try await H.run { node in
            try await FixtureStory.play(on: node)
            let rows = try await node.database.superuser.query("SELECT envelope, encode(hash, 'hex'), signature FROM events ORDER BY global_position")
            var events: [Fixture.Event] = []
            for try await (envelope, hash, signature) in rows.decode((ByteBuffer, String, ByteBuffer).self) {
                events.append(.init(envelope: Data(buffer: envelope).base64EncodedString(), hash: hash,
                                    signature: Data(buffer: signature).base64EncodedString()))
            }
            let fixture = Fixture(node: "qingdao", publicKey: TestDatabase.key("qingdao").publicKeyBase64, events: events)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(fixture).write(to: URL(fileURLWithPath: Self.path))
        }
    }
}

/// The fixture's cases: Zhang's story with an investigation, an application relying on a
/// certificate with missing materials supplied later, a returned transfer, a refusal on a personal promise.
enum FixtureStory {
    typealias H = NodeHarness

    static func play(on node: NodeHarness) async throws {
        func post(_ path: String, as centre: CentreID, _ body: JSONValue, status: HTTPResponse.Status = .ok) async throws -> JSONValue {
            try await node.expect(status, .post, path, as: centre, body)
        }
        let zhang = try #require(try await post("/v1/cases", as: H.wulian, H.application(), status: .created)["caseId"]?.stringValue)
        let path = "/v1/cases/\(zhang)"
        _ = try await post("\(path)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件, 农民工免审", "missing": []])
        _ = try await post("\(path)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
        _ = try await post("\(path)/transfer/accept", as: H.licang, ["expectedVersion": 3])
        _ = try await post("\(path)/decision", as: H.licang, ["expectedVersion": 4, "granted": true, "reason": "同意提供法律援助"])
        _ = try await post("\(path)/lawyer", as: H.licang, ["expectedVersion": 5, "lawyer": "李律师", "firm": "山东某律师事务所"])
        let investigation = try #require(try await post("\(path)/investigations", as: H.licang,
                                                        ["toCentre": "weihai-huancui", "questions": ["事故现场情况"], "dueDays": 10],
                                                        status: .created)["investigationId"]?.stringValue)
        let request = "/v1/investigations/\(investigation)"
        _ = try await post("\(request)/accept", as: H.huancui, ["expectedVersion": 1])
        _ = try await post("\(request)/assign", as: H.huancui, ["expectedVersion": 2, "lawyer": "王律师", "firm": "威海某律所"])
        _ = try await post("\(request)/report", as: H.huancui, ["expectedVersion": 3, "findings": "现场照片与证言已取得"])
        _ = try await post("\(request)/acknowledge", as: H.licang, ["expectedVersion": 4])
        _ = try await post("\(path)/originals-collected", as: H.licang, ["expectedVersion": 6])
        _ = try await post("\(path)/close", as: H.licang, ["expectedVersion": 7, "outcome": "调解结案", "recoveredAmount": 12_000_000])
        _ = try await post("\(path)/archive", as: H.licang, ["expectedVersion": 8])
        _ = try await post("\(path)/follow-up", as: H.licang, ["expectedVersion": 9, "satisfied": true, "note": "满意"])

        let certificate = try #require(try await post("/v1/certificates", as: H.huancui, CertificateAndDocumentTests.certificate,
                                                      status: .created)["certificateId"]?.stringValue)
        let relying = try #require(try await post("/v1/cases", as: H.wulian,
                                                  H.application(hardship: ["basis": "certificate", "certificateId": .string(certificate)]),
                                                  status: .created)["caseId"]?.stringValue)
        _ = try await post("/v1/cases/\(relying)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "材料不全", "missing": ["身份证复印件"]])
        _ = try await post("/v1/cases/\(relying)/materials", as: H.wulian, ["expectedVersion": 2, "documents": [
            ["name": "身份证复印件.pdf", "mediaType": "application/pdf", "size": 1024, "sha256": .string(String(repeating: "cd", count: 32))],
        ]])

        let returned = try #require(try await post("/v1/cases", as: H.wulian, H.application(idNumber: "371121199002023456"),
                                                   status: .created)["caseId"]?.stringValue)
        _ = try await post("/v1/cases/\(returned)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件", "missing": []])
        _ = try await post("/v1/cases/\(returned)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
        _ = try await post("/v1/cases/\(returned)/transfer/return", as: H.licang, ["expectedVersion": 3, "reason": "不属本中心管辖"])

        let refused = try #require(try await post("/v1/cases", as: H.wulian, H.application(
            jurisdiction: H.wulian, hardship: ["basis": "promise", "statement": "本人承诺家庭经济困难"], idNumber: "371121198505053456"),
            status: .created)["caseId"]?.stringValue)
        _ = try await post("/v1/cases/\(refused)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "材料齐全", "missing": []])
        _ = try await post("/v1/cases/\(refused)/decision", as: H.wulian, ["expectedVersion": 2, "granted": false, "reason": "不符合经济困难标准"])
    }
}

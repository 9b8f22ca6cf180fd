import CaseDomain
import Crypto
import Foundation
import Hummingbird
import Testing

/// Supplying missing materials in the pages: the scans uploaded with the case page's form,
/// fingerprinted and kept by the server, through the API's command.
@Suite("Supplying materials in the staff pages")
struct StaffMaterialsTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests
    typealias Intake = StaffIntakeTests

    static func post(_ node: H, _ caseID: String, cookie: String, _ body: ByteBuffer) async throws -> H.Answer {
        try await node.send(.post, "/cases/\(caseID)/materials", headers: [.cookie: cookie, .contentType: "multipart/form-data; boundary=\(Intake.boundary)"], body: body)
    }

    @Test func theMissingMaterialsAreUploadedFromTheCasePage() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang,
                                  ["expectedVersion": 1, "eligible": true, "reason": "缺身份证复印件", "missing": ["身份证复印件"]])
            let licang = try await Pages.signIn(node, as: H.licang)
            let (_, page) = try await Pages.page(node, "/cases/\(caseID)", cookie: licang)
            #expect(page.contains(#"id="supply-materials""#) && page.contains(#"enctype="multipart/form-data""#), "\(page)")
            let csrf = try Pages.csrf(in: page)

            // No scan, a wrong version, a stranger's session: refused, nothing written.
            let before = try await node.logSize()
            let empty = try await Self.post(node, caseID, cookie: licang, Intake.multipart([("csrf", csrf), ("expectedVersion", "2")]))
            #expect(empty.status == .unprocessableContent && (empty.json.stringValue ?? "").contains("supply at least one document"), "\(empty.status)")
            let scan = Array("%PDF-1.4 身份证复印件".utf8) + (0..<3000).map { UInt8($0 % 253) }
            let stale = try await Self.post(node, caseID, cookie: licang, Intake.multipart([("csrf", csrf), ("expectedVersion", "1")],
                                                                                         files: [("scans", "身份证.pdf", "application/pdf", scan)]))
            #expect(stale.status == .conflict, "\(stale.status)")
            let forged = try await Self.post(node, caseID, cookie: licang, Intake.multipart([("csrf", "x"), ("expectedVersion", "2")],
                                                                                          files: [("scans", "身份证.pdf", "application/pdf", scan)]))
            #expect(forged.status == .forbidden)
            let wulian = try await Pages.signIn(node, as: H.wulian)
            let (_, wulianPage) = try await Pages.page(node, "/inbox", cookie: wulian)
            let stranger = try await Self.post(node, caseID, cookie: wulian, Intake.multipart([("csrf", try Pages.csrf(in: wulianPage)), ("expectedVersion", "2")],
                                                                                            files: [("scans", "身份证.pdf", "application/pdf", scan)]))
            #expect(stranger.status == .forbidden || stranger.status == .notFound, "\(stranger.status)")
            #expect(try await node.logSize() == before, "nothing was written")
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()
            let token = "Bearer \(try await node.token(H.licang))"
            #expect(try await node.send(.get, "/v1/documents/\(sha256)", headers: [.authorization: token], body: nil).status == .notFound,
                    "a refused supply keeps no scan")

            let sent = try await Self.post(node, caseID, cookie: licang, Intake.multipart([("csrf", csrf), ("expectedVersion", "2")],
                                                                                        files: [("scans", "身份证.pdf", "application/pdf", scan)]))
            #expect(sent.status == .seeOther && sent.headers[.location] == "/cases/\(caseID)", "\(sent.json)")
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang)
            #expect(view["phase"] == "ready-for-decision" && view["decisionDueAt"] != nil, "\(view)")
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.licang)
            #expect(timeline["events"]?[2]?["type"] == "MaterialsSupplied" && timeline["events"]?[2]?["body"]?["documents"]?[0]?["sha256"]?.stringValue == sha256)
            #expect(try await node.send(.get, "/v1/documents/\(sha256)", headers: [.authorization: token], body: nil).status == .ok, "the scan is kept")
            let (_, after) = try await Pages.page(node, "/cases/\(caseID)", cookie: licang)
            #expect(!after.contains(#"id="supply-materials""#), "nothing is missing any more")
        }
    }
}

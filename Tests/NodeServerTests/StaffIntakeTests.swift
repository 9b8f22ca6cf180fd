import CaseDomain
import Casework
import Crypto
import Foundation
import Hummingbird
import NodeServer
import TestSupport
import Testing

/// Zhang at the Wulian counter, in the pages alone: the application with a scan through
/// the form, the server fingerprinting and keeping the scan, and a printed receipt whose
/// verification code any node confirms.
@Suite("Intake in the staff pages")
struct StaffIntakeTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests

    static let boundary = "tongbanTestBoundary7MA4YWxkTrZu0gW"

    /// A multipart body of `fields` and `files` (field name, file name, type, bytes).
    static func multipart(_ fields: [(String, String)], files: [(String, String, String, [UInt8])] = []) -> ByteBuffer {
        var body = ByteBuffer()
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for (name, filename, type, bytes) in files {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n")
            body.writeBytes(bytes)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    static func zhang(csrf: String, idNumber: String = "371121198001011234") -> [(String, String)] {
        [("csrf", csrf), ("name", "张某"), ("idNumber", idNumber), ("phone", "13800000000"), ("homeCity", "rizhao"), ("groups", "migrant-worker"),
         ("litigation", "on"), ("cause", "traffic-accident"), ("summary", "交通事故赔偿"), ("venue", "青岛市李沧区人民法院"),
         ("jurisdictionCentre", "qingdao-licang"), ("hardshipBasis", "exempt"), ("group", "migrant-worker"),
         ("shareWithJurisdiction", "on"), ("checksByOtherCities", "on")]
    }

    static func post(_ node: H, cookie: String, _ body: ByteBuffer) async throws -> H.Answer {
        try await node.send(.post, "/intake", headers: [.cookie: cookie, .contentType: "multipart/form-data; boundary=\(boundary)"], body: body)
    }

    @Test func anApplicationWithAScanIsTakenAtTheCounterAndItsReceiptVerifies() async throws {
        try await H.run { node in
            let wulian = try await Pages.signIn(node, as: H.wulian)
            let (status, form) = try await Pages.page(node, "/intake", cookie: wulian)
            #expect(status == .ok && form.contains(#"enctype="multipart/form-data""#) && form.contains("李沧区法律援助中心"), "\(form)")
            let csrf = try Pages.csrf(in: form)
            let scan = Array("%PDF-1.4 申请表".utf8) + (0..<5000).map { UInt8($0 % 251) }
            let sha256 = SHA256.hash(data: scan).map { String(format: "%02x", $0) }.joined()

            let sent = try await Self.post(node, cookie: wulian, Self.multipart(Self.zhang(csrf: csrf), files: [("scans", "申请表.pdf", "application/pdf", scan)]))
            #expect(sent.status == .seeOther, "\(sent.json)")
            let location = try #require(sent.headers[.location])
            let caseID = try #require(location.split(separator: "/").dropFirst().first.map(String.init), "\(location)")
            #expect(location == "/cases/\(caseID)/receipt")

            // The application is the API's: the scan listed with the fingerprint the server computed, its bytes kept.
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(view["phase"] == "submitted" && view["intakeCentre"] == "rizhao-wulian" && view["applicant"]?["name"] == "张某", "\(view)")
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.wulian)
            let listed = timeline["events"]?[0]?["body"]?["documents"]?[0]
            #expect(listed?["sha256"]?.stringValue == sha256 && listed?["size"] == .integer(Int64(scan.count)) && listed?["name"] == "申请表.pdf", "\(String(describing: listed))")
            let download = try await node.send(.get, "/v1/documents/\(sha256)", headers: [.authorization: "Bearer \(try await node.token(H.wulian))"], body: nil)
            #expect(download.status == .ok)

            // The receipt names the materials and a code that /verify confirms.
            let (_, receipt) = try await Pages.page(node, location, cookie: wulian)
            #expect(receipt.contains("法律援助申请材料接收凭证") && receipt.contains(String(sha256.prefix(16)) + "…") && receipt.contains("张某"), "\(receipt)")
            #expect(!receipt.contains(sha256), "the whole fingerprint would open the scan to whoever names it in a record")
            let marker = #"data-field="verification">"#
            let code = try #require(receipt.range(of: marker).map { String(receipt[$0.upperBound...].prefix(64)) })
            let verified = try await node.expect(.ok, .get, "/verify/\(code)", as: nil)
            #expect(verified["verified"] == true && verified["type"] == "ApplicationSubmitted" && verified["centre"] == "rizhao-wulian", "\(verified)")
        }
    }

    @Test func aRefusedApplicationWritesNothingAndSaysWhy() async throws {
        try await H.run { node in
            let wulian = try await Pages.signIn(node, as: H.wulian)
            let csrf = try Pages.csrf(in: try await Pages.page(node, "/intake", cookie: wulian).1)
            let pdf = Array("%PDF-1.4".utf8)
            let badID = try await Self.post(node, cookie: wulian, Self.multipart(Self.zhang(csrf: csrf, idNumber: "12345"), files: [("scans", "a.pdf", "application/pdf", pdf)]))
            #expect(badID.status == .unprocessableContent && (badID.json.stringValue ?? "").contains("applicant.idNumber"), "\(badID.json)")
            let html = try await Self.post(node, cookie: wulian, Self.multipart(Self.zhang(csrf: csrf), files: [("scans", "x.html", "text/html", Array("<script>".utf8))]))
            #expect(html.status == .unsupportedMediaType, "\(html.status)")
            let noCSRF = try await Self.post(node, cookie: wulian, Self.multipart(Array(Self.zhang(csrf: "forged"))))
            #expect(noCSRF.status == .forbidden, "\(noCSRF.status)")
            let missing = try await Self.post(node, cookie: wulian, Self.multipart(Self.zhang(csrf: csrf).filter { $0.0 != "venue" }))
            #expect(missing.status == .unprocessableContent && (missing.json.stringValue ?? "").contains("venue"), "\(missing.status)")
            let huge = try await Self.post(node, cookie: wulian, Self.multipart(Self.zhang(csrf: csrf), files: [("scans", "big.pdf", "application/pdf", [UInt8](repeating: 1, count: 21 * 1024 * 1024))]))
            #expect(huge.status == .contentTooLarge, "\(huge.status)")
            let garbled = try await node.send(.post, "/intake", headers: [.cookie: wulian, .contentType: "multipart/form-data; boundary=\(Self.boundary)"],
                                              body: ByteBuffer(string: "--\(Self.boundary)\r\nno headers at all"))
            #expect((400..<500).contains(Int(garbled.status.code)), "\(garbled.status)")
            let plain = try await node.send(.post, "/intake", headers: [.cookie: wulian, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "csrf=\(csrf)"))
            #expect(plain.status == .unsupportedMediaType, "\(plain.status)")
            #expect(try await node.logSize() == 0, "nothing written")
            #expect(try await node.database.count("SELECT count(*)::int FROM documents") == 0, "no scan of a refused form kept")
        }
    }
}

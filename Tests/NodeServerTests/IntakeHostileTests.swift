import CaseDomain
import Casework
import Crypto
import EventLog
import Foundation
import Hummingbird
@testable import NodeServer
import TestSupport
import Testing

/// Hostile requests against the intake form (`POST /intake`, multipart with scans), the
/// receipt (`/cases/{id}/receipt`), `GET /verify/{hash}` and `POST /sign-in/dev`: each is
/// refused with a 4xx, never a 5xx or a trap, writes no event, stores no scan it refuses,
/// acts for no other centre, leaks no personal data and breaks no markup.
@Suite("Hostile input on intake, receipts, verification and dev sign-in")
struct IntakeHostileTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests
    typealias Intake = StaffIntakeTests

    static let boundary = "hostileBoundary0123456789"

    /// One raw part: its header lines and its bytes.
    struct Part { var headers: [String]; var content: [UInt8] }

    static func field(_ name: String, _ value: String) -> Part {
        Part(headers: ["Content-Disposition: form-data; name=\"\(name)\""], content: Array(value.utf8))
    }

    static func file(_ filename: String, _ type: String, _ bytes: [UInt8], name: String = "scans") -> Part {
        Part(headers: ["Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"", "Content-Type: \(type)"], content: bytes)
    }

    static func zhang(_ csrf: String, idNumber: String = "371121198001011234") -> [Part] {
        Intake.zhang(csrf: csrf, idNumber: idNumber).map { field($0.0, $0.1) }
    }

    /// A multipart body of `parts`, closed unless `close` is false.
    static func body(_ parts: [Part], boundary: String = boundary, close: Bool = true) -> ByteBuffer {
        var body = ByteBuffer()
        for part in parts {
            body.writeString("--\(boundary)\r\n" + part.headers.map { $0 + "\r\n" }.joined() + "\r\n")
            body.writeBytes(part.content)
            body.writeString("\r\n")
        }
        if close { body.writeString("--\(boundary)--\r\n") }
        return body
    }

    static func post(_ node: H, cookie: String, _ body: ByteBuffer, contentType: String = "multipart/form-data; boundary=\(boundary)") async throws -> H.Answer {
        try await node.send(.post, "/intake", headers: [.cookie: cookie, .contentType: contentType], body: body)
    }

    static func documents(_ node: H) async throws -> Int { try await node.database.count("SELECT count(*)::int FROM documents") }

    static func pdf(_ seed: Int, count: Int = 2000) -> [UInt8] { Array("%PDF-1.4 ".utf8) + (0..<count).map { UInt8(($0 + seed) % 251) } }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    static func text(_ answer: H.Answer) -> String { answer.json.stringValue ?? "\(answer.json)" }

    /// The signed-in wulian staff's cookie and the intake form's CSRF token.
    static func counter(_ node: H, as centre: CentreID = H.wulian) async throws -> (cookie: String, csrf: String) {
        let cookie = try await Pages.signIn(node, as: centre)
        let (status, form) = try await Pages.page(node, "/intake", cookie: cookie)
        #expect(status == .ok)
        return (cookie, try Pages.csrf(in: form))
    }

    // MARK: - The body's framing

    @Test func aContentTypeWithoutAUsableBoundaryIs415() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let valid = Self.body(Self.zhang(csrf))
            for type in ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                         "multipart/form-data; boundary=\(String(repeating: "b", count: 71))", "multipart/mixed; boundary=\(Self.boundary)",
                         "text/plain; boundary=\(Self.boundary)", "multipart/form-data;;;", "multipart/form-data; boundary"] {
                let answer = try await Self.post(node, cookie: cookie, valid, contentType: type)
                #expect(answer.status == .unsupportedMediaType, "\(type): \(answer.status) \(answer.json)")
            }
            // A boundary that is not the body's, or a quoted one cut at a ';', never reaches a closing delimiter.
            for type in ["multipart/form-data; boundary=other", "multipart/form-data; boundary=\"a;b\""] {
                let answer = try await Self.post(node, cookie: cookie, valid, contentType: type)
                #expect(answer.status == .badRequest, "\(type): \(answer.status) \(answer.json)")
            }
            // A 70-character boundary, quoted and in capitals, is still read.
            let long = String(repeating: "q", count: 70)
            let answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf, idNumber: "12345"), boundary: long),
                                             contentType: "Multipart/Form-Data; BOUNDARY=\"\(long)\"")
            #expect(answer.status == .unprocessableContent && Self.text(answer).contains("applicant.idNumber"), "\(answer.status)")
            let (events, scans) = (try await node.logSize(), try await Self.documents(node))
            #expect(events == 0 && scans == 0)
        }
    }

    @Test func malformedPartsAre400() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let scan = Self.file("a.pdf", "application/pdf", Self.pdf(1))
            var cases: [(String, [Part])] = [
                ("a part without Content-Disposition", Self.zhang(csrf) + [Part(headers: ["Content-Type: text/plain"], content: Array("x".utf8)), scan]),
                ("a part without a name", Self.zhang(csrf) + [Part(headers: ["Content-Disposition: form-data; filename=\"a.pdf\"", "Content-Type: application/pdf"], content: Self.pdf(2))]),
                ("an empty name", Self.zhang(csrf) + [Part(headers: ["Content-Disposition: form-data; name=\"\""], content: Array("x".utf8)), scan]),
                ("a 101-byte name", Self.zhang(csrf) + [Self.field(String(repeating: "n", count: 101), "x"), scan]),
                ("a field that is not UTF-8", Self.zhang(csrf) + [Part(headers: ["Content-Disposition: form-data; name=\"summary\""], content: [0xC3, 0x28, 0xFF, 0xFE]), scan]),
                ("binary sent with filename* only (a text field, then)", Self.zhang(csrf)
                    + [Part(headers: ["Content-Disposition: form-data; name=\"scans\"; filename*=UTF-8''a.pdf", "Content-Type: application/pdf"], content: [0x25, 0xFF, 0x00, 0x80])]),
            ]
            // A header line without a colon, and a header name with a space.
            cases.append(("a header without a colon", Self.zhang(csrf) + [Part(headers: ["Content-Disposition form-data"], content: [0x41])]))
            cases.append(("a header name with a space", Self.zhang(csrf) + [Part(headers: ["Content Disposition: form-data; name=\"x\""], content: [0x41])]))
            for (what, parts) in cases {
                let answer = try await Self.post(node, cookie: cookie, Self.body(parts))
                #expect(answer.status == .badRequest, "\(what): \(answer.status) \(answer.json)")
            }
            let (events, scans) = (try await node.logSize(), try await Self.documents(node))
            #expect(events == 0 && scans == 0)
        }
    }

    /// A header name with a byte above 0x7F made MultipartKit 4.7.1 index its 128-entry
    /// table of allowed name characters out of range: a trap that ends the node.
    @Test func aPartHeaderNameWithANonASCIIByteDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            var body = ByteBuffer()
            body.writeString("--hostile\r\nContent-Disposition: form-data; name=\"csrf\"\r\n")
            body.writeBytes([0xC3, 0xA9])
            body.writeString(": x\r\n\r\nv\r\n--hostile--\r\n")
            _ = try? MultipartForm.parse(body, boundary: "hostile", maximumFileBytes: 1024)
        }
    }

    @Test func aBodyWithoutItsClosingBoundaryIsRefusedNotTakenShort() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let scan = Self.pdf(3)
            // The scan's part never ends: the form is cut short, not an application without the scan.
            var cut = Self.body(Self.zhang(csrf) + [Self.file("申请表.pdf", "application/pdf", scan)], close: false)
            cut.moveWriterIndex(to: cut.writerIndex - 2)
            let answer = try await Self.post(node, cookie: cookie, cut)
            #expect((400..<500).contains(Int(answer.status.code)), "a body without its closing boundary: \(answer.status) \(answer.headers[.location] ?? "")")
            // And one cut inside the last part's headers.
            var headers = Self.body(Self.zhang(csrf), close: false)
            headers.writeString("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"scans\"; filen")
            let second = try await Self.post(node, cookie: cookie, headers)
            #expect((400..<500).contains(Int(second.status.code)), "a body cut in a part's headers: \(second.status) \(second.headers[.location] ?? "")")
            #expect(try await node.logSize() == 0, "nothing written for a truncated form")
        }
    }

    // MARK: - Bounds

    @Test func boundsAre413AndStoreNoScan() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let eleven = (0..<11).map { Self.file("s\($0).pdf", "application/pdf", Self.pdf($0)) }
            var answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + eleven))
            #expect(answer.status == .contentTooLarge, "11 scans: \(answer.status) \(answer.json)")

            let many = (0..<201).map { Self.field("f\($0)", "x") }
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + many + [Self.file("a.pdf", "application/pdf", Self.pdf(1))]))
            #expect(answer.status == .contentTooLarge, "201 parts: \(answer.status) \(answer.json)")

            let longText = Self.zhang(csrf) + [Self.field("summary", String(repeating: "案", count: 22_000)), Self.file("a.pdf", "application/pdf", Self.pdf(2))]
            answer = try await Self.post(node, cookie: cookie, Self.body(longText))
            #expect(answer.status == .contentTooLarge, "66 KB of text: \(answer.status) \(answer.json)")

            // Two scans of 16 MiB and the fields: just over 32 MiB in all.
            let big = [UInt8](repeating: 0x25, count: 16 * 1024 * 1024)
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", big), Self.file("b.pdf", "application/pdf", big + [1])]))
            #expect(answer.status == .contentTooLarge, "over 32 MiB: \(answer.status)")

            // Exactly 32 MiB + 1 bytes of body.
            let base = Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", [])]).readableBytes
            let exact = Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", [UInt8](repeating: 0x25, count: MultipartForm.maximumBytes + 1 - base))])
            #expect(exact.readableBytes == MultipartForm.maximumBytes + 1)
            answer = try await Self.post(node, cookie: cookie, exact)
            #expect(answer.status == .contentTooLarge, "32 MiB + 1: \(answer.status)")

            let (events, scans) = (try await node.logSize(), try await Self.documents(node))
            #expect(events == 0 && scans == 0, "no event and no scan kept")
        }
    }

    // MARK: - Scans refused before or after others were stored

    @Test func refusedScansAreNotStoredAndNothingIsWritten() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            // A file of 0 bytes with a name.
            var answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("empty.pdf", "application/pdf", [])]))
            #expect(answer.status == .unprocessableContent, "an empty scan: \(answer.status)")
            // A nested multipart body as a scan.
            let nested = Array("--inner\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--inner--\r\n".utf8)
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("n.pdf", "multipart/mixed; boundary=inner", nested)]))
            #expect(answer.status == .unsupportedMediaType, "a nested multipart scan: \(answer.status)")
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("n.pdf", "application/pdf-but-not", Self.pdf(9))]))
            #expect(answer.status == .unsupportedMediaType, "a type that only starts as a PDF: \(answer.status)")
            // A scan with no Content-Type.
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Part(headers: ["Content-Disposition: form-data; name=\"scans\"; filename=\"a.pdf\""], content: Self.pdf(4))]))
            #expect(answer.status == .unsupportedMediaType, "a scan without a type: \(answer.status)")
            // No CSRF token, or a forged one: the scans are not stored.
            answer = try await Self.post(node, cookie: cookie, Self.body(Array(Self.zhang(csrf).dropFirst()) + [Self.file("a.pdf", "application/pdf", Self.pdf(5))]))
            #expect(answer.status == .forbidden, "no CSRF: \(answer.status)")
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang("forged") + [Self.file("a.pdf", "application/pdf", Self.pdf(6))]))
            #expect(answer.status == .forbidden, "a forged CSRF: \(answer.status)")
            // Another session's CSRF token.
            let (_, otherCSRF) = try await Self.counter(node, as: H.huancui)
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(otherCSRF) + [Self.file("a.pdf", "application/pdf", Self.pdf(7))]))
            #expect(answer.status == .forbidden, "another session's CSRF: \(answer.status)")
            // A supervisor uploads no scan.
            let supervisor = try await node.token(H.wulian, staff: "boss", role: .supervisor)
            let form = try await Pages.signInForm(node)
            let signedIn = try await node.send(.post, "/sign-in", headers: [.cookie: form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                               body: ByteBuffer(string: "csrf=\(form.csrf)&token=\(supervisor)"))
            let boss = String(try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") }).prefix { $0 != ";" })
            let bossCSRF = try Pages.csrf(in: try await Pages.page(node, "/intake", cookie: boss).1)
            answer = try await Self.post(node, cookie: boss, Self.body(Self.zhang(bossCSRF) + [Self.file("a.pdf", "application/pdf", Self.pdf(8))]))
            #expect(answer.status == .forbidden, "a supervisor's scan: \(answer.status)")
            // No session at all.
            answer = try await node.send(.post, "/intake", headers: [.contentType: "multipart/form-data; boundary=\(Self.boundary)"],
                                         body: Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", Self.pdf(10))]))
            #expect(answer.status.code >= 300 && answer.status.code < 500 && answer.status != .ok, "no session: \(answer.status)")
            let (events, scans) = (try await node.logSize(), try await Self.documents(node))
            #expect(events == 0 && scans == 0, "no event and no scan kept")

            // A domain refusal after a scan was accepted: the scan stays stored but no record names it, so nobody reads it.
            let kept = Self.pdf(11)
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf, idNumber: "12345") + [Self.file("a.pdf", "application/pdf", kept)]))
            #expect(answer.status == .unprocessableContent)
            answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", Self.pdf(12)), Self.file("b.pdf", "application/pdf", [])]))
            #expect(answer.status == .unprocessableContent, "an empty second scan: \(answer.status)")
            #expect(try await node.logSize() == 0)
            let stored = try await Self.documents(node)
            print("IntakeHostileTests: scans kept after domain refusals: \(stored)")
            let download = try await node.send(.get, "/v1/documents/\(Self.sha256(kept))", headers: [.authorization: "Bearer \(try await node.token(H.wulian))"], body: nil)
            #expect(download.status == .notFound, "a scan no record names is read by nobody: \(download.status)")
        }
    }

    // MARK: - Markup

    @Test func filenamesAndFieldsCannotBreakTheMarkup() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let script = "<script>alert(1)</script>&amp<img src=x onerror=alert(2)>.pdf"
            // The refused scan's name in the banner.
            var answer = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file(script, "text/html", Array("<b>".utf8))]))
            #expect(answer.status == .unsupportedMediaType)
            MarkupCheck.verify(Self.text(answer), page: "the refused form")
            #expect(!Self.text(answer).contains("<script>alert"))

            // A name, a summary and a file name full of markup, a type with a parameter, a CRLF in a file name and a 100 KB file name.
            var fields = Self.zhang(csrf).filter { $0.headers[0].contains("\"summary\"") == false && $0.headers[0].contains("\"venue\"") == false }
            fields += [Self.field("summary", "</textarea><script>alert(3)</script>"), Self.field("venue", "\"><svg onload=alert(4)>")]
            let crlf = Part(headers: ["Content-Type: application/pdf", "Content-Disposition: form-data; name=\"scans\"; filename=\"x.pdf\r\nContent-Type: text/html\r\nX: \""],
                            content: Self.pdf(20))
            let files = [Self.file(script, "application/pdf; charset=x", Self.pdf(21)), crlf,
                         Self.file(String(repeating: "名", count: 40_000) + ".pdf", "application/pdf", Self.pdf(22))]
            answer = try await Self.post(node, cookie: cookie, Self.body(fields + files))
            #expect(answer.status == .seeOther || (400..<500).contains(Int(answer.status.code)), "\(answer.status) \(answer.json)")
            if answer.status == .seeOther, let location = answer.headers[.location] {
                let (status, receipt) = try await Pages.page(node, location, cookie: cookie)
                #expect(status == .ok)
                MarkupCheck.verify(receipt, page: "the receipt")
                #expect(!receipt.contains("<script>alert") && !receipt.contains("<img src=x"), "\(receipt)")
                let id = String(location.split(separator: "/")[1])
                let (_, casePage) = try await Pages.page(node, "/cases/\(id)", cookie: cookie)
                MarkupCheck.verify(casePage, page: "the case page")
                #expect(!casePage.contains("<script>alert") && !casePage.contains("<svg onload"))
                let timeline = try await node.expect(.ok, .get, "/v1/cases/\(id)/timeline", as: H.wulian)
                guard case .array(let listed)? = timeline["events"]?[0]?["body"]?["documents"] else { Issue.record("no documents: \(timeline)"); return }
                #expect(listed.count == 3)
                #expect(listed.allSatisfy { $0["mediaType"] == "application/pdf" }, "\(listed)")
                #expect(listed.allSatisfy { !($0["name"]?.stringValue ?? "").contains("\r") && !($0["name"]?.stringValue ?? "").contains("\n") }, "\(listed)")
                #expect(listed.allSatisfy { ($0["name"]?.stringValue ?? "").count <= 400 }, "file names kept to 400 characters")
                #expect(try await Self.documents(node) == 3)
            }
        }
    }

    // MARK: - The receipt

    @Test func anotherCentresOrAStrangersReceiptLeaksNothing() async throws {
        try await H.run { node in
            let (cookie, csrf) = try await Self.counter(node)
            let sent = try await Self.post(node, cookie: cookie, Self.body(Self.zhang(csrf) + [Self.file("a.pdf", "application/pdf", Self.pdf(30))]))
            let location = try #require(sent.headers[.location])
            let huancui = try await Pages.signIn(node, as: H.huancui)
            let (status, html) = try await Pages.page(node, location, cookie: huancui)
            #expect((400..<500).contains(Int(status.code)), "another centre's receipt: \(status)")
            #expect(!html.contains("张某") && !html.contains("371121198001011234") && !html.contains(Self.sha256(Self.pdf(30))), "\(html)")
            let stranger = try await node.send(.get, location, headers: [:], body: nil)
            #expect(stranger.status == .seeOther && stranger.headers[.location] == "/sign-in" && !Self.text(stranger).contains("张某"), "\(stranger.status)")
            let forged = try await node.send(.get, location, headers: [.cookie: "tongban_staff=forged"], body: nil)
            #expect(forged.status == .seeOther && !Self.text(forged).contains("张某"))
            for id in ["not-a-case", String(repeating: "a", count: 5000), "%00", "..%2F..%2Finbox", "01a20d63-dd8a-776a-9435-08d639b645f5", "<script>"] {
                let (status, html) = try await Pages.page(node, "/cases/\(id)/receipt", cookie: cookie)
                #expect((400..<500).contains(Int(status.code)), "\(id.prefix(40)): \(status)")
                #expect(!html.contains("<script>"), "\(html)")
            }
            #expect(try await node.logSize() == 1, "only the application")
        }
    }

    // MARK: - /verify

    @Test func hostileVerificationCodesAre4xxAndEscaped() async throws {
        try await H.run { node in
            for code in ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "<script>", String(repeating: "f", count: 10_000), "%FF%FE", "%C3%28",
                         String(repeating: "A", count: 64) + "%0D%0AX:%20y", " " + String(repeating: "a", count: 63)] {
                for accept in ["text/html", "application/json"] {
                    let answer = try await node.send(.get, "/verify/\(code)", headers: [.accept: accept], body: nil)
                    #expect((400..<500).contains(Int(answer.status.code)), "\(code.prefix(40)) \(accept): \(answer.status)")
                    // A JSON problem may quote the code; a page must escape it.
                    if let html = answer.json.stringValue { #expect(!html.contains("<script>"), "\(html.prefix(300))") }
                }
            }
            #expect(try await node.logSize() == 0)
        }
    }

    // MARK: - Dev sign-in

    @Test func hostileDevSignInIsRefusedAndNeverRaisesItsRole() async throws {
        try await withTestDatabase { database in
            try await H.run(on: database, clock: NodeClock(.fixed(H.now)), devSignIn: true) { node in
                let form = try await Pages.signInForm(node)
                func send(_ body: ByteBuffer, type: String = "application/x-www-form-urlencoded") async throws -> H.Answer {
                    try await node.send(.post, "/sign-in/dev", headers: [.cookie: form.cookie, .contentType: type], body: body)
                }
                for fields in ["csrf=\(form.csrf)&centre=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "csrf=\(form.csrf)&centre=" + String(repeating: "x", count: 5000),
                               "csrf=\(form.csrf)&centre=QINGDAO-LICANG", "csrf=\(form.csrf)&centre=qingdao-licang%00"] {
                    let answer = try await send(ByteBuffer(string: fields))
                    #expect(answer.status == .unprocessableContent, "\(fields.prefix(80)): \(answer.status)")
                    #expect(!Self.text(answer).contains("<script>"))
                }
                for (what, body) in [("no centre", ByteBuffer(string: "csrf=\(form.csrf)")), ("not UTF-8", ByteBuffer(bytes: Array("csrf=\(form.csrf)&centre=".utf8) + [0xFF, 0xFE])),
                                     ("a megabyte", ByteBuffer(string: "csrf=\(form.csrf)&centre=" + String(repeating: "y", count: 1_100_000)))] {
                    let answer = try await send(body)
                    #expect((400..<500).contains(Int(answer.status.code)), "\(what): \(answer.status)")
                }
                let multipart = try await send(Self.body([Self.field("csrf", form.csrf), Self.field("centre", "qingdao-licang")]),
                                               type: "multipart/form-data; boundary=\(Self.boundary)")
                #expect((400..<500).contains(Int(multipart.status.code)), "a multipart dev sign-in: \(multipart.status)")
                // A role outside staff/supervisor signs in as staff, never as an auditor.
                for role in ["auditor", "SUPERVISOR", "supervisor%00"] {
                    let answer = try await send(ByteBuffer(string: "csrf=\(form.csrf)&centre=qingdao-licang&role=\(role)"))
                    #expect(answer.status == .seeOther, "\(role): \(answer.status)")
                    let cookie = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") })
                    let (_, inbox) = try await Pages.page(node, "/inbox", cookie: String(cookie.prefix { $0 != ";" }))
                    #expect(inbox.contains("dev-staff @ 李沧区法律援助中心") && !inbox.contains("auditor"), "\(role)")
                }
                #expect(try await node.logSize() == 0)
            }
        }
    }
}

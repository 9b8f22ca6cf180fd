import CaseDomain
import Casework
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import NodeServer
import TestSupport
import Testing

/// The staff web pages over the real router, workflow and database: a session cookie,
/// CSRF-checked forms, and each centre seeing only what it takes part in.
@Suite("Staff web pages")
struct StaffPagesTests {
    typealias H = NodeHarness

    /// The sign-in form as a browser gets it: its CSRF cookie (`name=value`) and token.
    static func signInForm(_ node: H) async throws -> (cookie: String, csrf: String) {
        let answer = try await node.send(.get, "/sign-in", headers: [:], body: nil)
        let cookie = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("tongban_sign_in=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        return (String(cookie.prefix { $0 != ";" }), try csrf(in: answer.json.stringValue ?? ""))
    }

    /// Signs `centre` in through the sign-in form; the session cookie's `name=value`.
    static func signIn(_ node: H, as centre: CentreID, staff: String = "staff-1", role: StaffRole = .staff) async throws -> String {
        let token = try await node.token(centre, staff: staff, role: role)
        let form = try await signInForm(node)
        let answer = try await node.send(.post, "/sign-in", headers: [.cookie: form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                         body: ByteBuffer(string: "csrf=\(form.csrf)&token=\(token)"))
        #expect(answer.status == .seeOther && answer.headers[.location] == "/inbox")
        let cookie = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")
        return String(cookie.prefix { $0 != ";" })
    }

    static func page(_ node: H, _ path: String, cookie: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = cookie }
        let answer = try await node.send(.get, path, headers: headers, body: nil)
        return (answer.status, answer.json.stringValue ?? "\(answer.json)")
    }

    static func post(_ node: H, _ path: String, cookie: String, form: String) async throws -> H.Answer {
        try await node.send(.post, path, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form))
    }

    static func csrf(in html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test func withoutASessionEveryPageLeadsToSignInAndABadTokenIsNamed() async throws {
        try await H.run { node in
            for path in ["/inbox", "/cases/01a20d63-dd8a-776a-9435-08d639b645f5", "/certificates"] {
                let answer = try await node.send(.get, path, headers: [:], body: nil)
                #expect(answer.status == .seeOther && answer.headers[.location] == "/sign-in", "\(path)")
            }
            let forged = try await node.send(.get, "/inbox", headers: [.cookie: "tongban_staff=not.a.token"], body: nil)
            #expect(forged.status == .seeOther && forged.headers[.location] == "/sign-in")
            let form = try await Self.signInForm(node)
            let refused = try await node.send(.post, "/sign-in", headers: [.cookie: form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                              body: ByteBuffer(string: "csrf=\(form.csrf)&token=garbage"))
            #expect(refused.status == .unauthorized && !refused.headers[values: .setCookie].contains { $0.hasPrefix("tongban_staff=") })
            #expect((refused.json.stringValue ?? "").contains("class=\"error\""))
        }
    }

    @Test func theInboxPageShowsTheCentresItemsWithMarksAndOnlyThem() async throws {
        try await H.run { node in
            _ = try await InboxTests.populate(node, count: 2, unassessed: 1)
            try await node.project()
            let licang = try await Self.signIn(node, as: H.licang)
            let (status, html) = try await Self.page(node, "/inbox", cookie: licang)
            #expect(status == .ok)
            #expect(html.contains("<html lang=\"zh-CN\"") && html.contains("待办"))
            #expect(html.components(separatedBy: "<tr class=\"item").count - 1 == 3, "three items: \(html)")
            #expect(html.contains("紧急"), "the urgent case is marked")
            #expect(!html.contains("371121198001011234"), "ID numbers are masked")
            let (_, reviews) = try await Self.page(node, "/inbox?kind=review", cookie: licang)
            #expect(reviews.components(separatedBy: "<tr class=\"item").count - 1 == 1)

            let huancui = try await Self.signIn(node, as: H.huancui)
            let (_, other) = try await Self.page(node, "/inbox", cookie: huancui)
            #expect(!other.contains("<tr class=\"item"), "Huancui sees none of Licang's items")
            var headers: HTTPFields = [.cookie: licang]
            headers[.cookie] = "\(licang); tongban_lang=en"
            let english = try await node.send(.get, "/inbox", headers: headers, body: nil)
            #expect((english.json.stringValue ?? "").contains("Inbox") && (english.json.stringValue ?? "").contains("<html lang=\"en\""))
        }
    }

    @Test func theStatisticsPageChartsEachCentresDurations() async throws {
        try await H.run { node in
            var ids: [String] = []
            for _ in 0..<2 {
                let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application(hardship: ["basis": "promise", "statement": "承诺"]))
                ids.append(try #require(created["caseId"]?.stringValue))
            }
            let submitted = ids
            // Assessed three hours after they were submitted.
            try await H.run(on: node.database, clock: NodeClock(.fixed(Timestamp(iso8601: "2026-11-20T05:00:00Z")!))) { later in
                for id in submitted {
                    try await later.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
                }
                try await later.project()
                let licang = try await Self.signIn(later, as: H.licang)
                let (status, html) = try await Self.page(later, "/statistics", cookie: licang)
                #expect(status == .ok && html.contains("统计"))
                #expect(html.contains("<svg class=\"chart\"") && html.contains(">qingdao-licang</text>") && html.contains(">3.0</text>"), "\(html)")
            }
        }
    }

    @Test func aCaseIsAssessedThroughItsFormWhichNeedsTheCSRFToken() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            let wulian = try await Self.signIn(node, as: H.wulian)
            let (status, html) = try await Self.page(node, "/cases/\(id)", cookie: wulian)
            #expect(status == .ok && html.contains("id=\"assess\"") && html.contains("ApplicationSubmitted"))
            #expect(html.contains(String(repeating: "ab", count: 32)), "the document's fingerprint is shown")
            let csrf = try Self.csrf(in: html)

            let forged = try await Self.post(node, "/cases/\(id)/assessment", cookie: wulian, form: "expectedVersion=1&eligible=on&reason=ok")
            #expect(forged.status == .forbidden && forged.headers[.contentType]?.hasPrefix("text/html") == true
                    && (forged.json.stringValue ?? "").contains("CSRF"), "the refusal is a page that says why")
            let wrong = try await Self.post(node, "/cases/\(id)/assessment", cookie: wulian, form: "csrf=\(String(repeating: "0", count: 64))&expectedVersion=1&eligible=on&reason=ok")
            #expect(wrong.status == .forbidden)
            #expect(try await node.logSize() == 1, "a refused form writes nothing")

            let sent = try await Self.post(node, "/cases/\(id)/assessment", cookie: wulian, form: "csrf=\(csrf)&expectedVersion=1&eligible=on&reason=%E7%AC%A6%E5%90%88")
            #expect(sent.status == .seeOther && sent.headers[.location] == "/cases/\(id)")
            let (_, after) = try await Self.page(node, "/cases/\(id)", cookie: wulian)
            #expect(after.contains("ApplicationAssessed") && !after.contains("id=\"assess\""), "assessed; the form is gone")

            let stale = try await Self.post(node, "/cases/\(id)/assessment", cookie: wulian, form: "csrf=\(csrf)&expectedVersion=1&eligible=on&reason=again")
            #expect(stale.status == .conflict && (stale.json.stringValue ?? "").contains("role=\"alert\""), "a stale form says why on the page")
        }
    }

    /// The sender withdraws a transfer through its page, and the target returns the next
    /// one with a coded reason that the sender's inbox item shows.
    @Test func aTransferIsCancelledAndReturnedWithACodeThroughThePages() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "court"])
            let wulian = try await Self.signIn(node, as: H.wulian)
            var (_, html) = try await Self.page(node, "/cases/\(id)", cookie: wulian)
            let cancelled = try await Self.post(node, "/cases/\(id)/transfer/cancel", cookie: wulian,
                                                form: "csrf=\(try Self.csrf(in: html))&expectedVersion=3&reason=%E8%AF%AF%E8%BD%AC")
            #expect(cancelled.status == .seeOther, "\(cancelled.json)")
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.wulian)["phase"] == "ready-for-decision")
            (_, html) = try await Self.page(node, "/cases/\(id)", cookie: wulian)
            #expect(html.contains("staff-1（由 qingdao 节点代为记录）"), "the cancel's row names who asked, not 'system'")

            try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 4, "toCentre": "qingdao-licang", "reason": "court"])
            let licang = try await Self.signIn(node, as: H.licang)
            (_, html) = try await Self.page(node, "/cases/\(id)", cookie: licang)
            #expect(html.contains("<option value=\"conflict-of-interest\">"), "the return form offers the codes")
            let csrf = try Self.csrf(in: html)
            let bogus = try await Self.post(node, "/cases/\(id)/transfer/return", cookie: licang, form: "csrf=\(csrf)&expectedVersion=5&reasonCode=nope&reason=x")
            #expect(bogus.status == .unprocessableContent, "\(bogus.json)")
            let returned = try await Self.post(node, "/cases/\(id)/transfer/return", cookie: licang,
                                               form: "csrf=\(csrf)&expectedVersion=5&reasonCode=conflict-of-interest&reason=x")
            #expect(returned.status == .seeOther, "\(returned.json)")
            try await node.project()
            let inbox = try await node.expect(.ok, .get, "/v1/inbox", as: H.wulian)
            #expect(inbox["items"]?[0]?["kind"] == "returned-transfer" && inbox["items"]?[0]?["reasonCode"] == "conflict-of-interest", "\(inbox)")
            (_, html) = try await Self.page(node, "/inbox", cookie: wulian)
            #expect(html.contains("conflict-of-interest") && html.contains("利益冲突"), "the inbox page shows why it came back, in Chinese")
        }
    }

    /// Only the forms the state allows the signed-in centre are offered, and each one works:
    /// Wulian transfers, Licang accepts, decides and assigns a lawyer, all through pages.
    @Test func eachCentreIsOfferedTheFormsItsTurnAllows() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            let wulian = try await Self.signIn(node, as: H.wulian)
            let licang = try await Self.signIn(node, as: H.licang)
            func forms(_ cookie: String) async throws -> (Set<String>, String) {
                let (_, html) = try await Self.page(node, "/cases/\(id)", cookie: cookie)
                let ids = html.components(separatedBy: "<form method=\"post\" action=\"/").dropFirst().compactMap { part -> String? in
                    let tag = part.prefix { $0 != ">" }
                    guard let start = tag.range(of: " id=\"") else { return nil }
                    return String(tag[start.upperBound...].prefix { $0 != "\"" })
                }
                return (Set(ids), try Self.csrf(in: html))
            }
            var (offered, csrf) = try await forms(wulian)
            #expect(offered.contains("transfer") && !offered.contains("assess") && !offered.contains("accept-transfer"), "\(offered)")
            #expect(try await Self.post(node, "/cases/\(id)/transfer", cookie: wulian,
                                        form: "csrf=\(csrf)&expectedVersion=2&toCentre=qingdao-licang&reason=court").status == .seeOther)
            (offered, _) = try await forms(wulian)
            #expect(offered == ["cancel-transfer"], "Wulian waits for Licang's answer, or withdraws the transfer: \(offered)")

            (offered, csrf) = try await forms(licang)
            #expect(offered == ["accept-transfer", "return-transfer"], "\(offered)")
            #expect(try await Self.post(node, "/cases/\(id)/transfer/accept", cookie: licang, form: "csrf=\(csrf)&expectedVersion=3").status == .seeOther)
            (offered, csrf) = try await forms(licang)
            #expect(offered.contains("decide"), "\(offered)")
            #expect(try await Self.post(node, "/cases/\(id)/decision", cookie: licang,
                                        form: "csrf=\(csrf)&expectedVersion=4&granted=on&reason=ok").status == .seeOther)
            (offered, csrf) = try await forms(licang)
            #expect(offered.contains("assign-lawyer") && !offered.contains("decide"), "\(offered)")
            #expect(try await Self.post(node, "/cases/\(id)/lawyer", cookie: licang,
                                        form: "csrf=\(csrf)&expectedVersion=5&lawyer=%E6%9D%8E%E5%BE%8B%E5%B8%88&firm=F").status == .seeOther)
            let view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
            #expect(view["phase"] == "lawyer-assigned" && view["lawyer"] == "李律师" && view["number"] == "LICANG-2026-000001")

            // The investigation at Huancui, through the same page.
            (offered, csrf) = try await forms(licang)
            #expect(offered.contains("request-investigation"), "\(offered)")
            #expect(try await Self.post(node, "/cases/\(id)/investigations", cookie: licang,
                                        form: "csrf=\(csrf)&toCentre=weihai-huancui&questions=site&dueDays=10").status == .seeOther)
            let huancui = try await Self.signIn(node, as: H.huancui)
            let investigation = try #require(try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)["investigations"]?[0]?["investigationId"]?.stringValue)
            func investigate(_ action: String, as cookie: String, version: Int, _ fields: String = "") async throws {
                let (offered, csrf) = try await forms(cookie)
                #expect(offered.contains { $0.hasPrefix(action == "lawyer" ? "assign-investigation" : action) }, "\(action): \(offered)")
                let sent = try await Self.post(node, "/investigations/\(investigation)/\(action)", cookie: cookie,
                                               form: "csrf=\(csrf)&expectedVersion=\(version)&caseId=\(id)\(fields)")
                #expect(sent.status == .seeOther && sent.headers[.location] == "/cases/\(id)", "\(action): \(sent.json)")
            }
            try await investigate("accept", as: huancui, version: 1)
            try await investigate("lawyer", as: huancui, version: 2, "&lawyer=W&firm=F")
            try await investigate("report", as: huancui, version: 3, "&findings=done")
            try await investigate("acknowledge", as: licang, version: 4)
            let done = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
            #expect(done["investigations"]?[0]?["phase"] == "acknowledged" && done["investigations"]?[0]?["number"] == "HUANCUI-XC-2026-000001")
        }
    }

    @Test func aCentreThatTakesNoPartCannotOpenTheCaseOrPostItsForms() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            let huancui = try await Self.signIn(node, as: H.huancui)
            let (status, html) = try await Self.page(node, "/cases/\(id)", cookie: huancui)
            #expect(status == .forbidden && !html.contains("ApplicationSubmitted"))
            let (_, inbox) = try await Self.page(node, "/inbox", cookie: huancui)
            let csrf = try Self.csrf(in: inbox)
            let posted = try await Self.post(node, "/cases/\(id)/assessment", cookie: huancui, form: "csrf=\(csrf)&expectedVersion=1&eligible=on&reason=x")
            #expect(posted.status == .forbidden)
            #expect(try await node.logSize() == 1)
        }
    }

    /// The certificate check posts the holder's ID number and name (never in a URL), needs
    /// the session's CSRF token, and shows what the register says, never the holder.
    @Test func theCertificateCheckPostsIDNumberAndNameAndShowsTheStatusOnly() async throws {
        try await H.run { node in
            let issued = try await node.expect(.created, .post, "/v1/certificates", as: H.huancui, CertificateAndDocumentTests.certificate)
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            let wulian = try await Self.signIn(node, as: H.wulian)
            let (status, form) = try await Self.page(node, "/certificates", cookie: wulian)
            #expect(status == .ok && form.contains(#"<form method="post" action="/certificates""#) && form.contains(#"name="name""#))
            let csrf = try Self.csrf(in: form)
            let name = "%E5%BC%A0%E6%9F%90" // 张某
            let found = try await Self.post(node, "/certificates", cookie: wulian, form: "csrf=\(csrf)&idNumber=371121198001011234&name=\(name)")
            let html = found.json.stringValue ?? ""
            #expect(found.status == .ok && html.contains(certificateID) && html.contains(#"<td class="status">valid</td>"#), "\(html)")
            #expect(!html.contains("张某") && !html.contains("371121198001011234") && !html.contains("低保"), "nothing of the holder is shown")

            let wrongName = try await Self.post(node, "/certificates", cookie: wulian, form: "csrf=\(csrf)&idNumber=371121198001011234&name=%E6%9D%8E%E6%9F%90")
            #expect(wrongName.status == .ok && (wrongName.json.stringValue ?? "").contains("没有与该身份证号和姓名相符的困难证明") && !(wrongName.json.stringValue ?? "").contains(certificateID))
            let forged = try await Self.post(node, "/certificates", cookie: wulian, form: "idNumber=371121198001011234&name=\(name)")
            #expect(forged.status == .forbidden, "no CSRF token, no lookup")
            #expect(try await node.database.count("SELECT count(*)::int FROM access_log WHERE purpose = 'certificate-lookup'") == 1,
                    "the one lookup that found something is recorded")
        }
    }

    /// The sign-in form carries a CSRF token matched to a cookie of its own: a post from
    /// another site (no cookie, or another token) signs nobody in, even with a valid token.
    @Test func signingInNeedsTheSignInFormsCSRFToken() async throws {
        try await H.run { node in
            let token = try await node.token(H.wulian)
            let form = try await Self.signInForm(node)
            let other = try await Self.signInForm(node)
            #expect(form.csrf != other.csrf, "each form gets a token of its own")
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            for (cookie, sent) in [(nil, "csrf=\(form.csrf)&"), (form.cookie, ""), (form.cookie, "csrf=\(other.csrf)&"), (other.cookie, "csrf=\(form.csrf)&")] {
                var headers = headers
                if let cookie { headers[.cookie] = cookie }
                let refused = try await node.send(.post, "/sign-in", headers: headers, body: ByteBuffer(string: "\(sent)token=\(token)"))
                #expect(refused.status == .forbidden && !refused.headers[values: .setCookie].contains { $0.hasPrefix("tongban_staff=") },
                        "cookie \(cookie ?? "none"), form \(sent): \(refused.status)")
                #expect((refused.json.stringValue ?? "").contains("name=\"csrf\""), "the refusal offers a fresh form")
            }
            var accepted = headers
            accepted[.cookie] = form.cookie
            let signedIn = try await node.send(.post, "/sign-in", headers: accepted, body: ByteBuffer(string: "csrf=\(form.csrf)&token=\(token)"))
            #expect(signedIn.status == .seeOther && signedIn.headers[values: .setCookie].contains { $0.hasPrefix("tongban_staff=") })
        }
    }
}

import CaseDomain
import Casework
import EventLog
import Foundation
import Hummingbird
import NodeServer
import TestSupport
import Testing

/// The pages speak the staff's language: centres by their names, phases and event types
/// in Chinese (English on request), the codes kept in the markup; and under `tongban dev`
/// a newcomer signs in at a click.
@Suite("Staff pages in the staff's language")
struct StaffLanguageTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests

    @Test func casesShowCentreNamesPhasesAndEventsInChinese() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            let wulian = try await Pages.signIn(node, as: H.wulian)
            var (status, html) = try await Pages.page(node, "/cases/\(id)", cookie: wulian)
            #expect(status == .ok)
            #expect(html.contains(#"<dd data-field="phase">待决定</dd>"#), "the phase in Chinese: \(html)")
            #expect(html.contains(#"<dd data-field="jurisdiction">李沧区法律援助中心</dd>"#), "the jurisdiction centre by its name")
            #expect(html.contains(#"<td data-type="ApplicationSubmitted">提交申请</td>"#), "the event type in Chinese, its code kept")
            #expect(html.contains(#"title="rizhao-wulian">五莲县法律援助中心</span>"#), "the timeline's centre by name, its id as title")
            #expect(html.contains(#"<option value="qingdao-licang" selected>李沧区法律援助中心</option>"#), "transfer targets by name")
            (_, html) = try await Pages.page(node, "/inbox", cookie: wulian)
            #expect(html.contains("待办 · 五莲县法律援助中心") && html.contains("staff-1 @ 五莲县法律援助中心"), "\(html)")

            (_, html) = try await Pages.page(node, "/cases/\(id)", cookie: wulian + "; tongban_lang=en")
            #expect(html.contains(#"<dd data-field="phase">Ready for decision</dd>"#) && html.contains(">Application submitted</td>"), "English on request")
        }
    }

    @Test func aCentreFindsItsOwnCaseByNumberAndAStrangerDoesNot() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())
            let id = try #require(created["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            let decided = try await node.expect(.ok, .post, "/v1/cases/\(id)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "ok"])
            let number = try #require(decided["number"]?.stringValue)
            let licang = try await Pages.signIn(node, as: H.licang)
            let found = try await node.send(.get, "/search?q=\(number.lowercased())", headers: [.cookie: licang], body: nil)
            #expect(found.status == .seeOther && found.headers[.location] == "/cases/\(id)", "\(found.status)")
            let byID = try await node.send(.get, "/search?q=\(id.uppercased())", headers: [.cookie: licang], body: nil)
            #expect(byID.status == .seeOther && byID.headers[.location] == "/cases/\(id)")
            let huancui = try await Pages.signIn(node, as: H.huancui)
            let (status, html) = try await Pages.page(node, "/search?q=\(number)", cookie: huancui)
            #expect(status == .notFound && !html.contains(id), "a stranger does not find it: \(html)")
            #expect(try await Pages.page(node, "/search?q=", cookie: licang).0 == .unprocessableContent)
            #expect(try await Pages.page(node, "/search?q=%00%F1%A0%99%A8%7D-%C3%A0%02", cookie: licang).0 == .unprocessableContent,
                    "a NUL or control character (PostgreSQL text holds no NUL: found by the fuzzer as a 500)")
            #expect(try await Pages.page(node, "/search?q=\(String(repeating: "A", count: 101))", cookie: licang).0 == .unprocessableContent)
            #expect(try await Pages.page(node, "/inbox", cookie: licang).1.contains(#"action="/search""#), "the inbox offers the search")
        }
    }

    @Test func onlyUnderDevTheSignInPageOffersTheCentresAtAClick() async throws {
        try await H.run { node in
            let (_, html) = try await Pages.page(node, "/sign-in", cookie: nil)
            #expect(!html.contains("sign-in/dev"), "a served node offers no centre without a token")
            let form = try await Pages.signInForm(node)
            let refused = try await node.send(.post, "/sign-in/dev", headers: [.cookie: form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                              body: ByteBuffer(string: "csrf=\(form.csrf)&centre=qingdao-licang"))
            #expect(refused.status == .notFound || refused.status == .methodNotAllowed, "\(refused.status)")
        }
        try await withTestDatabase { database in
            try await H.run(on: database, clock: NodeClock(.fixed(H.now)), devSignIn: true) { node in
                let (_, html) = try await Pages.page(node, "/sign-in", cookie: nil)
                #expect(html.contains(#"data-centre="qingdao-licang" data-role="staff">李沧区法律援助中心"#), "\(html)")
                let form = try await Pages.signInForm(node)
                func signIn(_ fields: String, cookie: String? = nil) async throws -> H.Answer {
                    try await node.send(.post, "/sign-in/dev", headers: [.cookie: cookie ?? form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                        body: ByteBuffer(string: fields))
                }
                #expect(try await signIn("centre=qingdao-licang").status == .forbidden, "no CSRF token, no session")
                #expect(try await signIn("csrf=\(form.csrf)&centre=harbin-daoli").status == .unprocessableContent, "a centre this node does not serve")
                let signedIn = try await signIn("csrf=\(form.csrf)&centre=qingdao-licang&role=supervisor")
                #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/inbox", "\(signedIn.json)")
                let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") })
                let (status, inbox) = try await Pages.page(node, "/inbox", cookie: String(cookie.prefix { $0 != ";" }))
                #expect(status == .ok && inbox.contains("dev-supervisor @ 李沧区法律援助中心"), "\(inbox)")
            }
        }
    }
}

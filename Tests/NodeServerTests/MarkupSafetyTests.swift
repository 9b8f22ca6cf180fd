import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import HTTPTypes
import Hummingbird
import NodeServer
import Testing

/// Hostile text — a prepend letter or concatenation mark before `<`, combining marks after
/// `<`, `>` and quotes, bidi overrides, `</script>` — through every field a staff page
/// shows, written by staff here, by another node, or echoed from the query: no page holds
/// markup but its own.
@Suite("Markup-safe staff pages")
struct MarkupSafetyTests {
    typealias H = NodeHarness
    typealias P = StaffPagesTests

    /// Hostile text the write path keeps accepting: letters and combining marks only.
    /// U+0D4E is a letter that joins the next scalar into its grapheme cluster.
    static let meta = "\u{0D4E}<meta http-equiv=refresh content=0;url=https://example.org/>\u{0301}"
    static let breakout = "x\"\u{0301} onfocus=alert(1) autofocus '\u{0301} <\u{0301}b>"
    static let script = "</script><\u{0301}script>&\u{0301}amp;"
    /// Hostile text for paths no write checks: query echoes and staff ids.
    static let formatted = "\u{0600}<meta http-equiv=refresh content=0>\u{202E}\"\u{0301}'<\u{2066}"

    static func pages(_ node: H, _ paths: [String], cookie: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        var bodies: [String] = []
        for path in paths {
            let (status, html) = try await P.page(node, path, cookie: cookie)
            #expect(status.code < 500, "\(path): \(status)", sourceLocation: sourceLocation)
            MarkupCheck.verify(html, page: path, sourceLocation: sourceLocation)
            bodies.append(html)
        }
        return bodies
    }

    static func document(_ name: String, _ fill: String) -> JSONValue {
        ["name": .string(name), "mediaType": "application/pdf", "size": 1, "sha256": .string(String(repeating: fill, count: 32))]
    }

    @Test func hostileTextInEveryFieldAPageShowsIsShownEscapedOnly() async throws {
        try await H.run { node in
            let original = H.application()
            let application = original
                .setting("applicant", try #require(original["applicant"]).setting("name", .string(Self.meta)))
                .setting("matter", try #require(original["matter"]).setting("venue", .string(Self.breakout)).setting("summary", .string(Self.script)))
                .setting("documents", [Self.document(Self.meta, "a1"), Self.document(Self.breakout, "b2"), Self.document(Self.script, "c3")])
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, application)
            let id = try #require(created["caseId"]?.stringValue)
            let path = "/v1/cases/\(id)"
            try await node.expect(.ok, .post, "\(path)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": .string(Self.breakout)])
            try await node.expect(.ok, .post, "\(path)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": .string(Self.meta)])
            try await node.expect(.ok, .post, "\(path)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            try await node.expect(.ok, .post, "\(path)/decision", as: H.licang, ["expectedVersion": 4, "granted": true, "reason": .string(Self.script)])
            try await node.expect(.ok, .post, "\(path)/lawyer", as: H.licang,
                                  ["expectedVersion": 5, "lawyer": .string(Self.meta), "firm": .string(Self.breakout), "chosenByApplicant": false])
            let requested = try await node.expect(.created, .post, "\(path)/investigations", as: H.licang,
                                                  ["toCentre": "weihai-huancui", "questions": [.string(Self.meta)], "dueDays": 10])
            let investigation = "/v1/investigations/\(try #require(requested["investigationId"]?.stringValue))"
            try await node.expect(.ok, .post, "\(investigation)/accept", as: H.huancui, ["expectedVersion": 1])
            try await node.expect(.ok, .post, "\(investigation)/assign", as: H.huancui,
                                  ["expectedVersion": 2, "lawyer": .string(Self.breakout), "firm": .string(Self.script)])
            try await node.expect(.ok, .post, "\(investigation)/report", as: H.huancui,
                                  ["expectedVersion": 3, "findings": .string(Self.meta), "documents": [Self.document(Self.meta, "d4")]])
            try await node.expect(.created, .post, "/v1/certificates", as: H.huancui,
                                  ["holderName": .string(Self.meta), "idNumber": "371121198001011234", "basis": .string(Self.breakout),
                                   "validUntil": "2027-06-30T00:00:00.000Z"])

            // A case another node wrote: Weihai's own application, stored here as it arrived.
            let submitted = try #require(try await EventReader(client: node.database.service).events(ofStreams: ["case-\(id)"]).first)
            let keys = try await RecordKeyStore(client: node.database.service, node: NodeID(rawValue: "qingdao")!).keys(for: id)
            let stored = try #require(SealedBody.open(submitted.envelope.body, type: "ApplicationSubmitted", schemaVersion: submitted.envelope.schemaVersion,
                                                      record: id, keys: keys)).body
            let body = stored.setting("intakeCentre", .string(H.huancui.rawValue))
                .setting("applicant", try #require(stored["applicant"]).setting("name", .string(Self.script)))
                .setting("documents", [Self.document(Self.breakout, "e5"), Self.document(Self.script, "f6")])
            let weihaiCase = UUID().uuidString.lowercased()
            _ = try await node.database.appender(node: "weihai").append(
                to: "case-\(weihaiCase)", expectedVersion: 0,
                events: [NewEvent(type: "ApplicationSubmitted", actor: Actor(centre: H.huancui, staff: Self.meta), body: body)])
            try await node.project()

            let query = Self.formatted.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let wulian = try await P.signIn(node, as: H.wulian, staff: Self.formatted)
            let licang = try await P.signIn(node, as: H.licang, staff: Self.meta)
            let huancui = try await P.signIn(node, as: H.huancui, staff: Self.breakout)
            let common = ["/inbox", "/inbox?kind=\(query)&overdue=\(query)&cursor=\(query)", "/certificates?idNumber=\(query)",
                          "/certificates", "/statistics", "/statistics?from=\(query)&to=\(query)",
                          "/cases/\(query)", "/cases/\(id)", "/intake", "/cases/\(id)/receipt"]
            let seen = try await Self.pages(node, common, cookie: wulian)
                + Self.pages(node, common, cookie: licang)
                + Self.pages(node, common + ["/cases/\(weihaiCase)"], cookie: huancui)
            let casePage = seen[7]
            #expect(casePage.contains("&lt;meta http-equiv=refresh content=0;url=https://example.org/&gt;\u{0301}"), "the document name, escaped")
            #expect(casePage.contains("x&quot;\u{0301} onfocus=alert(1) autofocus &#39;\u{0301}"), "the second document's name, escaped")
            #expect(seen.last?.contains("&lt;/script&gt;&lt;\u{0301}script&gt;&amp;\u{0301}amp;") == true, "Weihai's document name, escaped")
            #expect(seen[0].contains("\u{0600}&lt;meta http-equiv=refresh content=0&gt;\u{202E}&quot;\u{0301}&#39;&lt;\u{2066}"),
                    "the signed-in staff id, escaped")

            // A refused form echoes what was sent on an error page: escaped too.
            let (_, form) = try await P.page(node, "/cases/\(id)", cookie: licang)
            let csrf = try P.csrf(in: form)
            for lookup in ["idNumber=371121198001011234&name=\(query)", "idNumber=\(query)&name=\(query)"] {
                let answer = try await P.post(node, "/certificates", cookie: licang, form: "csrf=\(csrf)&\(lookup)")
                #expect(answer.status.code < 500, "\(lookup): \(answer.status)")
                MarkupCheck.verify(answer.json.stringValue ?? "", page: "certificate lookup \(lookup.prefix(40))")
            }
            let refused = try await P.post(node, "/cases/\(id)/close", cookie: licang, form: "csrf=\(csrf)&expectedVersion=\(query)&outcome=\(query)")
            #expect(refused.status.code >= 400 && refused.status.code < 500)
            MarkupCheck.verify(refused.json.stringValue ?? "", page: "refused close form")
        }
    }

    @Test func everyPageForbidsBaseFramesPluginsAndForeignFormTargets() async throws {
        try await H.run { node in
            let cookie = try await P.signIn(node, as: H.wulian)
            for path in ["/sign-in", "/inbox", "/certificates", "/statistics", "/cases/01a20d63-dd8a-776a-9435-08d639b645f5"] {
                let answer = try await node.send(.get, path, headers: [.cookie: cookie], body: nil)
                let policy = answer.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                let directives = Set(policy.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
                for required in ["default-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
                    #expect(directives.contains(required), "\(path): \(required) in \(policy)")
                }
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(path)")
            }
        }
    }
}

extension JSONValue {
    /// This object with `key` set to `value`.
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }
}

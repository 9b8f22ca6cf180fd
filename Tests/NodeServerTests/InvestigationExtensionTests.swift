import CaseDomain
import EventLog
import Foundation
import TestSupport
import Testing

/// Cooperation deadlines on one node serving both centres: Huancui asks Licang for more
/// time, Licang grants or refuses; both inboxes show it, and a request past the date in
/// force is overdue on both sides.
@Suite("Investigation extensions")
struct InvestigationExtensionTests {
    typealias H = NodeHarness

    /// A case at Licang, ready for a decision, whose investigation Huancui accepted (due in
    /// 10 days: 30 Nov 2026, 10:00 in China).
    static func acceptedRequest(_ node: H) async throws -> (caseID: String, investigation: String) {
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())
        let caseID = try #require(created["caseId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
        let requested = try await node.expect(.created, .post, "/v1/cases/\(caseID)/investigations", as: H.licang,
                                              ["toCentre": "weihai-huancui", "questions": ["车辆登记"], "dueDays": 10])
        let investigation = try #require(requested["investigationId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/investigations/\(investigation)/accept", as: H.huancui, ["expectedVersion": 1])
        return (caseID, investigation)
    }

    /// `centre`'s inbox items of `kind`.
    static func items(_ node: H, _ centre: CentreID, kind: String, overdue: Bool? = nil) async throws -> [JSONValue] {
        try await node.project()
        let page = try await node.expect(.ok, .get, "/v1/inbox?kind=\(kind)\(overdue.map { "&overdue=\($0)" } ?? "")", as: centre)
        guard case .array(let items)? = page["items"] else { return [] }
        return items
    }

    @Test func aGrantedExtensionMovesTheDueDateInBothInboxesAndOverdueShowsOnBothSides() async throws {
        try await H.run { node in
            let (_, investigation) = try await Self.acceptedRequest(node)
            let path = "/v1/investigations/\(investigation)"
            let due = "2026-11-30T02:00:00.000Z", extended = "2026-12-07T02:00:00.000Z"
            #expect(try await Self.items(node, H.licang, kind: "awaiting-findings").map { $0["dueAt"] } == [.string(due)], "the requester sees its open request")
            #expect(try await Self.items(node, H.huancui, kind: "investigation-to-report").map { $0["dueAt"] } == [.string(due)])

            // Huancui asks; the contract's body has no version.
            #expect(try await node.expect(.ok, .post, "\(path)/extension", as: H.huancui, ["days": 7, "reason": "需调取车管档案"])["version"] == 3)
            let again = try await node.call(.post, "\(path)/extension", as: H.huancui, ["days": 3, "reason": "再延"])
            #expect(again.status == .forbidden && again.json["detail"]?.stringValue?.contains("already waiting") == true, "\(again.json)")
            let asked = try await Self.items(node, H.licang, kind: "extension-request")
            #expect(asked.count == 1 && asked.first?["dueAt"] == .string(due) && asked.first?["fromCentre"] == "weihai-huancui", "\(asked)")
            #expect(try await Self.items(node, H.licang, kind: "awaiting-findings").first?["extension"] == "requested")
            let view = try await node.expect(.ok, .get, path, as: H.licang)
            #expect(view["pendingExtension"]?["days"] == 7 && view["pendingExtension"]?["reason"] == "需调取车管档案", "\(view)")

            // Only Licang decides, at the version it saw.
            let byTarget = try await node.call(.post, "\(path)/extension/decision", as: H.huancui, ["granted": true, "reason": "自批", "expectedVersion": 3])
            #expect(byTarget.status == .forbidden, "\(byTarget.json)")
            let stale = try await node.call(.post, "\(path)/extension/decision", as: H.licang, ["granted": true, "reason": "同意", "expectedVersion": 2])
            #expect(stale.status == .conflict && stale.json["currentVersion"] == 3, "\(stale.json)")
            let audited = try await node.call(.post, "\(path)/extension/decision", as: H.licang, role: .auditor, ["granted": true, "reason": "x", "expectedVersion": 3])
            #expect(audited.status == .forbidden)
            #expect(try await node.expect(.ok, .post, "\(path)/extension/decision", as: H.licang,
                                          ["granted": true, "reason": "同意延期", "expectedVersion": 3])["version"] == 4)

            #expect(try await Self.items(node, H.licang, kind: "extension-request").isEmpty)
            let awaiting = try await Self.items(node, H.licang, kind: "awaiting-findings")
            let toReport = try await Self.items(node, H.huancui, kind: "investigation-to-report")
            #expect(awaiting.first?["dueAt"] == .string(extended) && awaiting.first?["extension"] == "granted", "\(awaiting)")
            #expect(toReport.first?["dueAt"] == .string(extended) && toReport.first?["extension"] == "granted", "\(toReport)")
            #expect(try await node.expect(.ok, .get, path, as: H.huancui)["reportDueAt"] == .string(extended))
            let body = try await node.database.newestEnvelope(ofType: "InvestigationExtensionDecided")
            #expect(body.contains(#""centre":"qingdao-licang""#) && !body.contains("同意延期"), "who decided is plain, the reason sealed: \(body)")

            // On 1 December the old date has passed, the new one not; on 8 December both ends show it overdue.
            for (day, overdue) in [("2026-12-01", 0), ("2026-12-08", 1)] {
                try await H.run(on: node.database, clock: NodeClock(.fixed(Timestamp(iso8601: "\(day)T02:00:00Z")!))) { later in
                    let requester = try await Self.items(later, H.licang, kind: "awaiting-findings", overdue: true)
                    let target = try await Self.items(later, H.huancui, kind: "investigation-to-report", overdue: true)
                    #expect(requester.count == overdue && target.count == overdue, "\(day): \(requester) \(target)")
                }
            }
        }
    }

    @Test func aRefusalKeepsTheDateAndFindingsClearEveryItem() async throws {
        try await H.run { node in
            let (_, investigation) = try await Self.acceptedRequest(node)
            let path = "/v1/investigations/\(investigation)"
            try await node.expect(.ok, .post, "\(path)/extension", as: H.huancui, ["days": 30, "reason": "人手不足", "expectedVersion": 2])
            try await node.expect(.ok, .post, "\(path)/extension/decision", as: H.licang, ["granted": false, "reason": "案件紧急", "expectedVersion": 3])
            let toReport = try await Self.items(node, H.huancui, kind: "investigation-to-report")
            #expect(toReport.first?["dueAt"] == "2026-11-30T02:00:00.000Z" && toReport.first?["extension"] == "refused", "\(toReport)")

            // A second request may follow; findings answer it, and every item of the request but the findings goes.
            try await node.expect(.ok, .post, "\(path)/extension", as: H.huancui, ["days": 2, "reason": "最后两天"])
            try await node.expect(.ok, .post, "\(path)/assign", as: H.huancui, ["expectedVersion": 5, "lawyer": "王律师", "firm": "威海某所"])
            try await node.expect(.ok, .post, "\(path)/report", as: H.huancui, ["expectedVersion": 6, "findings": "已查明"])
            let late = try await node.call(.post, "\(path)/extension/decision", as: H.licang, ["granted": true, "reason": "同意", "expectedVersion": 7])
            #expect(late.status == .unprocessableContent || late.status == .conflict, "a decision after the findings is refused: \(late.json)")
            #expect(late.json["type"]?.stringValue?.hasSuffix("invalid-transition") == true, "\(late.json)")
            let remaining = try await node.inbox(H.licang).filter { $0.hasSuffix(investigation) } + (try await node.inbox(H.huancui)).filter { $0.hasSuffix(investigation) }
            #expect(remaining == ["investigation-findings@\(investigation)"], "\(remaining)")
        }
    }

    @Test func theCasePageOffersEachEndItsExtensionForm() async throws {
        typealias P = StaffPagesTests
        try await H.run { node in
            let (caseID, investigation) = try await Self.acceptedRequest(node)
            let huancui = try await P.signIn(node, as: H.huancui), licang = try await P.signIn(node, as: H.licang)
            var (_, html) = try await P.page(node, "/cases/\(caseID)", cookie: huancui)
            #expect(html.contains(#"id="request-extension""#) && !html.contains(#"id="decide-extension""#))
            var sent = try await P.post(node, "/investigations/\(investigation)/extension", cookie: huancui,
                                        form: "csrf=\(try P.csrf(in: html))&expectedVersion=2&caseId=\(caseID)&days=7&reason=%E9%9C%80%E8%B0%83%E5%8F%96")
            #expect(sent.status == .seeOther && sent.headers[.location] == "/cases/\(caseID)", "\(sent.json)")

            (_, html) = try await P.page(node, "/cases/\(caseID)", cookie: licang)
            #expect(html.contains(#"id="decide-extension""#) && html.contains(#"<dd class="extension-pending">7</dd>"#), "\(html)")
            sent = try await P.post(node, "/investigations/\(investigation)/extension/decision", cookie: licang,
                                    form: "csrf=\(try P.csrf(in: html))&expectedVersion=3&caseId=\(caseID)&granted=true&reason=ok")
            #expect(sent.status == .seeOther, "\(sent.json)")
            (_, html) = try await P.page(node, "/cases/\(caseID)", cookie: licang)
            #expect(!html.contains(#"id="decide-extension""#) && html.contains("2026-12-07"), "the due date moved: \(html)")

            // A refusal the domain gives is shown on the case page, and nothing is written.
            (_, html) = try await P.page(node, "/cases/\(caseID)", cookie: huancui)
            let before = try await node.logSize()
            let refused = try await P.post(node, "/investigations/\(investigation)/extension", cookie: huancui,
                                           form: "csrf=\(try P.csrf(in: html))&expectedVersion=4&caseId=\(caseID)&days=99&reason=x")
            #expect(refused.status.code >= 400 && (refused.json.stringValue ?? "").contains("days"), "\(refused.status)")
            #expect(try await node.logSize() == before)
        }
    }

    @Test func malformedExtensionsAreRefusedAndWriteNothing() async throws {
        try await H.run { node in
            let (_, investigation) = try await Self.acceptedRequest(node)
            let path = "/v1/investigations/\(investigation)"
            let before = try await node.logSize()
            let bodies: [JSONValue] = [
                ["days": 0, "reason": "x"], ["days": 61, "reason": "x"], ["days": .integer(Int64.max), "reason": "x"], ["days": -5, "reason": "x"],
                ["days": "7", "reason": "x"], ["days": 7], ["days": 7, "reason": "   "], ["days": 7, "reason": .string(String(repeating: "长", count: 5000))],
                ["days": 7, "reason": "x\u{202E}y"], ["days": .double(7.5), "reason": "x"],
            ]
            for body in bodies {
                let answer = try await node.call(.post, "\(path)/extension", as: H.huancui, body)
                #expect((400..<500).contains(answer.status.code) && answer.json["type"] != nil, "\(body): \(answer.status) \(answer.json)")
            }
            let decisions: [JSONValue] = [["granted": "yes", "reason": "x", "expectedVersion": 2], ["granted": true, "expectedVersion": 2],
                                          ["granted": true, "reason": "x"], ["granted": true, "reason": "x", "expectedVersion": 2]]
            for body in decisions {
                let answer = try await node.call(.post, "\(path)/extension/decision", as: H.licang, body)
                #expect((400..<500).contains(answer.status.code), "\(body): \(answer.status) \(answer.json)")
            }
            let stranger = try await node.call(.post, "\(path)/extension/decision", as: H.wulian, ["granted": true, "reason": "x", "expectedVersion": 2])
            #expect(stranger.status == .forbidden, "\(stranger.json)")
            let unknown = try await node.call(.post, "/v1/investigations/\(UUID().uuidString.lowercased())/extension/decision", as: H.licang,
                                              ["granted": true, "reason": "x", "expectedVersion": 1])
            #expect(unknown.status == .notFound)
            #expect(try await node.logSize() == before, "nothing was written")
        }
    }
}

extension TestDatabase {
    /// The newest event of `type`, its envelope as text.
    func newestEnvelope(ofType type: String) async throws -> String {
        let rows = try await superuser.query("SELECT convert_from(envelope, 'UTF8') FROM events WHERE type = \(type) ORDER BY global_position DESC LIMIT 1")
        for try await (envelope) in rows.decode(String.self) { return envelope }
        throw CancellationError()
    }
}

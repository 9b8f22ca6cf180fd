import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
@testable import NodeServer
import TestSupport
import Testing

/// An extension across two nodes: Huancui asks at Weihai, Licang decides at Qingdao, and
/// Weihai, which alone writes the open request, records the decision; a node speaks only
/// for its own centres.
@Suite("Investigation extensions across two nodes", .serialized)
struct InvestigationExtensionFederationTests {
    typealias F = FederationHarness
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!

    /// A request from Licang (Qingdao) that Huancui (Weihai) accepted and asked 7 more days on: at version 3.
    static func extensionAsked(_ federation: F) async throws -> String {
        let qingdao = federation["qingdao"], weihai = federation["weihai"]
        let (status, created) = try await federation.call(qingdao, "POST", "/v1/cases", as: Self.licang, NodeHarness.application())
        let caseID = try #require(created["caseId"]?.stringValue, "\(status) \(created)")
        try await federation.call(qingdao, "POST", "/v1/cases/\(caseID)/assessment", as: Self.licang, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
        let (sent, requested) = try await federation.call(qingdao, "POST", "/v1/cases/\(caseID)/investigations", as: Self.licang,
                                                          ["toCentre": "weihai-huancui", "questions": ["车辆登记"], "dueDays": 10])
        let investigation = try #require(requested["investigationId"]?.stringValue, "\(sent) \(requested)")
        let path = "/v1/investigations/\(investigation)"
        try await F.waitUntil("the request and its key reached Weihai") {
            let (_, view) = try await federation.call(weihai, "GET", path, as: Self.huancui)
            let owed = try await qingdao.database.count("SELECT count(*)::int FROM key_grants WHERE recipient = 'weihai' AND delivered_at IS NULL")
            return view["phase"] == "requested" && owed == 0
        }
        let (accepted, _) = try await federation.call(weihai, "POST", "\(path)/accept", as: Self.huancui, ["expectedVersion": 1])
        #expect(accepted == 200)
        let (asked, answer) = try await federation.call(weihai, "POST", "\(path)/extension", as: Self.huancui, ["days": 7, "reason": "需调取车管档案"])
        #expect(asked == 200, "\(answer)")
        try await F.waitUntil("the extension asked reached Licang's inbox at Qingdao") {
            let (_, inbox) = try await federation.call(qingdao, "GET", "/v1/inbox?kind=extension-request", as: Self.licang)
            return inbox["items"]?[0]?["investigationId"]?.stringValue == investigation
        }
        return investigation
    }

    @Test func licangsGrantAtQingdaoIsRecordedByWeihaiAndMovesBothDueDates() async throws {
        try await F.run(cities: ["qingdao", "weihai"]) { federation in
            let qingdao = federation["qingdao"], weihai = federation["weihai"]
            let investigation = try await Self.extensionAsked(federation)
            let path = "/v1/investigations/\(investigation)"
            let (_, asked) = try await federation.call(qingdao, "GET", path, as: Self.licang)
            #expect(asked["pendingExtension"]?["reason"] == "需调取车管档案", "Licang reads why: \(asked)")
            let due = try #require(asked["reportDueAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)))

            let (stale, conflict) = try await federation.call(qingdao, "POST", "\(path)/extension/decision", as: Self.licang,
                                                              ["granted": true, "reason": "同意", "expectedVersion": 2])
            #expect(stale == 409, "\(conflict)")
            let (status, decided) = try await federation.call(qingdao, "POST", "\(path)/extension/decision", as: Self.licang,
                                                              ["granted": true, "reason": "同意延期", "expectedVersion": 3])
            #expect(status == 200 && decided["version"] == 4, "\(decided)")
            let origin = try await weihai.database.count("SELECT count(*)::int FROM events WHERE type = 'InvestigationExtensionDecided' AND origin_node = 'weihai' AND actor_centre IS NULL")
            #expect(origin == 1, "recorded by Weihai, as the system")

            let extended = due.adding(days: 7)
            try await F.waitUntil("both ends show the extension granted") {
                let (_, awaiting) = try await federation.call(qingdao, "GET", "/v1/inbox?kind=awaiting-findings", as: Self.licang)
                let (_, toReport) = try await federation.call(weihai, "GET", "/v1/inbox?kind=investigation-to-report", as: Self.huancui)
                let (_, pending) = try await federation.call(qingdao, "GET", "/v1/inbox?kind=extension-request", as: Self.licang)
                return awaiting["items"]?[0]?["extension"] == "granted" && toReport["items"]?[0]?["extension"] == "granted"
                    && pending["items"] == .array([])
            }
            for (node, centre) in [(qingdao, Self.licang), (weihai, Self.huancui)] {
                let (_, view) = try await federation.call(node, "GET", path, as: centre)
                #expect(view["reportDueAt"]?.stringValue == extended.description, "\(node.id): 7 days after \(due): \(view)")
            }
            let (again, refused) = try await federation.call(qingdao, "POST", "\(path)/extension/decision", as: Self.licang,
                                                             ["granted": true, "reason": "再次", "expectedVersion": 4])
            #expect(again == 409 && refused["type"]?.stringValue?.hasSuffix("invalid-transition") == true, "nothing waits any more: \(again) \(refused)")
            try await F.waitUntil("the two logs are identical") {
                let logs = try await federation.logs()
                return logs[qingdao.id] == logs[weihai.id]
            }
        }
    }

    @Test func aNodeDecidesOnlyForItsOwnCentres() async throws {
        try await F.run(cities: ["qingdao", "weihai"]) { federation in
            let weihai = federation["weihai"]
            let investigation = try await Self.extensionAsked(federation)
            let before = try await weihai.database.count("SELECT count(*)::int FROM events")
            func message(centre: String, staff: String = #""staff-1""#) -> Data {
                Data(#"{"investigationId":"\#(investigation)","expectedVersion":3,"granted":true,"reason":"同意","centre":"\#(centre)","staff":\#(staff)}"#.utf8)
            }
            let path = ExtensionDecision.Message.path
            let attacks: [(String, String, Data, Set<Int>)] = [
                ("qingdao for Weihai's own centre", "qingdao", message(centre: "weihai-huancui"), [403]),
                ("weihai for Licang", "weihai", message(centre: "qingdao-licang"), [403]),
                ("qingdao for another of its centres", "qingdao", message(centre: "qingdao-shinan"), [403]),
                ("a staff id with a NUL", "qingdao", message(centre: "qingdao-licang", staff: #""s\u0000""#), [422]),
                ("a blank staff id", "qingdao", message(centre: "qingdao-licang", staff: #""  ""#), [422]),
                ("a body that is not JSON", "qingdao", Data("granted".utf8), [400]),
            ]
            for (what, from, body, statuses) in attacks {
                let headers = Dictionary(uniqueKeysWithValues: try NodeRequestSignature.headers(
                    method: "POST", path: path, body: body, key: TestDatabase.key(from), to: NodeID(rawValue: "weihai")!,
                    at: Timestamp(Date()).millisecondsSinceEpoch))
                let (status, answer) = try await federation.request(weihai, "POST", path, headers: headers, rawBody: body)
                #expect(statuses.contains(status), "\(what): \(status) \(answer)")
            }
            let (unsigned, _) = try await federation.request(weihai, "POST", path, headers: [:], rawBody: message(centre: "qingdao-licang"))
            #expect(unsigned == 401)
            #expect(try await weihai.database.count("SELECT count(*)::int FROM events") == before, "nothing was written")
        }
    }
}

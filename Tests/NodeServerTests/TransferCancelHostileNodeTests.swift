import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
@testable import NodeServer
import TestSupport
import Testing

/// The node-signed cancellation, sent by hand to the target's node (Qingdao) of a transfer
/// from Rizhao's Wulian: only Rizhao, for Wulian, with a staff id that is one, may cancel.
@Suite("Node-signed transfer cancellation under hostile input", .serialized)
struct TransferCancelHostileNodeTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let path = TransferCancellation.Message.path

    static func signed(_ from: String, to: String = "qingdao", _ body: Data, path: String = path, at: Int64? = nil) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try NodeRequestSignature.headers(
            method: "POST", path: path, body: body, key: TestSupport.TestDatabase.key(from), to: NodeID(rawValue: to)!,
            at: at ?? Timestamp(Date()).millisecondsSinceEpoch))
    }

    static func message(_ caseID: String, version: String = "3", reason: String = #""误转""#, centre: String = #""rizhao-wulian""#,
                        staff: String = #""staff-1""#) -> Data {
        Data(#"{"caseId":"\#(caseID)","expectedVersion":\#(version),"reason":\#(reason),"centre":\#(centre),"staff":\#(staff)}"#.utf8)
    }

    /// A case created at Rizhao's Wulian and sent to Qingdao's Licang, held with its key at Qingdao: at version 3.
    static func pendingTransfer(_ federation: F) async throws -> String {
        let rizhao = federation["rizhao"], qingdao = federation["qingdao"]
        let (status, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
        let caseID = try #require(created["caseId"]?.stringValue, "\(status) \(created)")
        try await federation.call(rizhao, "POST", "/v1/cases/\(caseID)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
        let (sent, answer) = try await federation.call(rizhao, "POST", "/v1/cases/\(caseID)/transfer", as: Self.wulian,
                                                       ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
        #expect(sent == 200, "\(answer)")
        try await F.waitUntil("Qingdao reads the transferred application with its key") {
            let (_, view) = try await federation.call(qingdao, "GET", "/v1/cases/\(caseID)", as: Self.licang)
            let owed = try await rizhao.database.count("SELECT count(*)::int FROM key_grants WHERE recipient = 'qingdao' AND delivered_at IS NULL")
            return view["applicant"]?["name"] == "张某" && owed == 0
        }
        return caseID
    }

    /// The staff id the sending node names is who asked, recorded in the event: an empty or
    /// blank one names nobody (a staff token never carries one), so it is refused.
    @Test func aCancellationNamingNoStaffMemberIsRefused() async throws {
        try await F.run { federation in
            let qingdao = federation["qingdao"]
            for (kind, staff) in [("empty staff", #""""#), ("blank staff", #""   ""#), ("a no-break space", #""\u00a0""#)] {
                let caseID = try await Self.pendingTransfer(federation)
                let before = try await qingdao.database.count("SELECT count(*)::int FROM events")
                let body = Self.message(caseID, staff: staff)
                let (status, answer) = try await federation.request(qingdao, "POST", Self.path, headers: try Self.signed("rizhao", body), rawBody: body)
                #expect(status == 422 && answer["type"]?.stringValue?.hasPrefix(Problem.typeBase) == true, "\(kind): \(status) \(answer)")
                #expect(try await qingdao.database.count("SELECT count(*)::int FROM events") == before, "\(kind): nothing written")
            }
        }
    }

    @Test func onlyTheSendersNodeCancelsForTheSenderWithAValidStaffID() async throws {
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"]
            let caseID = try await Self.pendingTransfer(federation)
            let before = try await qingdao.database.count("SELECT count(*)::int FROM events")

            var attacks: [(String, String, Data, Set<Int>)] = [
                ("weihai for its own centre", "weihai", Self.message(caseID, centre: #""weihai-huancui""#), [403]),
                ("weihai for Wulian", "weihai", Self.message(caseID), [403]),
                ("rizhao for another of its centres", "rizhao", Self.message(caseID, centre: #""rizhao-donggang""#), [403]),
                ("rizhao for its municipal centre", "rizhao", Self.message(caseID, centre: #""rizhao-municipal""#), [403]),
                ("rizhao for a centre of no federation", "rizhao", Self.message(caseID, centre: #""rizhao-nowhere""#), [403]),
                ("rizhao for Licang", "rizhao", Self.message(caseID, centre: #""qingdao-licang""#), [403]),
                ("a centre id in upper case", "rizhao", Self.message(caseID, centre: #""rizhao-WULIAN""#), [400, 422]),
                ("a centre that is a node", "rizhao", Self.message(caseID, centre: #""rizhao""#), [400, 422]),
                ("staff with a NUL", "rizhao", Self.message(caseID, staff: #""s\u0000""#), [422]),
                ("staff with a line break", "rizhao", Self.message(caseID, staff: #""s\nt""#), [422]),
                ("staff with a C1 control", "rizhao", Self.message(caseID, staff: #""s\u0085""#), [422]),
                ("staff with a bidi override", "rizhao", Self.message(caseID, staff: #""s\u202Et""#), [422]),
                ("staff with a zero-width space", "rizhao", Self.message(caseID, staff: #""s\u200Bt""#), [422]),
                ("staff of 101 characters", "rizhao", Self.message(caseID, staff: "\"" + String(repeating: "s", count: 101) + "\""), [422]),
                ("staff of 70 KB", "rizhao", Self.message(caseID, staff: "\"" + String(repeating: "s", count: 70_000) + "\""), [413]),
                ("staff null", "rizhao", Self.message(caseID, staff: "null"), [400, 422]),
                ("no such case", "rizhao", Self.message("0190f1c4-0000-7000-8000-000000000000"), [404]),
                ("a case id not a UUID", "rizhao", Self.message("../\(caseID)"), [404]),
                ("a case id of 10,000 characters", "rizhao", Self.message(String(repeating: "a", count: 10_000)), [404]),
                ("an empty reason", "rizhao", Self.message(caseID, reason: #""  ""#), [422]),
                ("a reason with a NUL", "rizhao", Self.message(caseID, reason: #""x\u0000""#), [422]),
                ("a reason of 5,000 characters", "rizhao", Self.message(caseID, reason: "\"" + String(repeating: "长", count: 5000) + "\""), [422]),
                ("a reason of 1 MB", "rizhao", Self.message(caseID, reason: "\"" + String(repeating: "x", count: 1 << 20) + "\""), [413]),
                ("not JSON", "rizhao", Data("caseId=\(caseID)".utf8), [400]),
                ("an array", "rizhao", Data("[]".utf8), [400, 422]),
            ]
            for version in ["-9223372036854775808", "-1"] {
                attacks.append(("expectedVersion \(version)", "rizhao", Self.message(caseID, version: version), [422]))
            }
            for version in ["0", "2", "4", "9223372036854775807"] {
                attacks.append(("expectedVersion \(version)", "rizhao", Self.message(caseID, version: version), [409]))
            }
            for version in ["9223372036854775808", "1e400", "3.5", #""3""#, "null"] {
                attacks.append(("expectedVersion \(version)", "rizhao", Self.message(caseID, version: version), [400, 422]))
            }
            for (kind, from, body, statuses) in attacks {
                let (status, answer) = try await federation.request(qingdao, "POST", Self.path, headers: try Self.signed(from, body), rawBody: body)
                #expect(statuses.contains(status), "\(kind): \(status) \(String(describing: answer).prefix(400))")
                #expect(answer["type"]?.stringValue?.hasPrefix(Problem.typeBase) == true, "\(kind): a problem: \(String(describing: answer).prefix(200))")
            }

            // Signatures: another body, another path, addressed to Weihai, stale, none.
            let good = Self.message(caseID, staff: #""staff-9""#)
            let forged: [(String, [String: String], Data)] = [
                ("signed for another body", try Self.signed("rizhao", Self.message(caseID, staff: #""staff-8""#)), good),
                ("signed for another path", try Self.signed("rizhao", good, path: "/v1/sync/notify"), good),
                ("addressed to Weihai", try Self.signed("rizhao", to: "weihai", good), good),
                ("an hour old", try Self.signed("rizhao", good, at: Timestamp(Date()).millisecondsSinceEpoch - 3_600_000), good),
                ("from an hour ahead", try Self.signed("rizhao", good, at: Timestamp(Date()).millisecondsSinceEpoch + 3_600_000), good),
                ("unsigned", [:], good),
            ]
            for (kind, headers, body) in forged {
                let (status, answer) = try await federation.request(qingdao, "POST", Self.path, headers: headers, rawBody: body)
                #expect(status == 401, "\(kind): \(status) \(answer)")
            }
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM events") == before, "nothing written on Qingdao")
            let (_, pending) = try await federation.call(qingdao, "GET", "/v1/cases/\(caseID)", as: Self.licang)
            #expect(pending["phase"] == "transfer-pending" && pending["version"] == 3, "\(pending)")

            // The real thing, with the case id in upper case: recorded once; its replay is refused.
            let real = Self.message(caseID.uppercased(), staff: #""staff-7""#)
            let headers = try Self.signed("rizhao", real)
            let (ok, recorded) = try await federation.request(qingdao, "POST", Self.path, headers: headers, rawBody: real)
            #expect(ok == 200 && recorded["version"] == 4, "\(recorded)")
            let (replayed, replayAnswer) = try await federation.request(qingdao, "POST", Self.path, headers: headers, rawBody: real)
            #expect(replayed == 401 || replayed == 409, "a replay: \(replayed) \(replayAnswer)")
            let (late, lateAnswer) = try await federation.call(rizhao, "POST", "/v1/cases/\(caseID)/transfer/cancel", as: Self.wulian,
                                                               ["expectedVersion": 3, "reason": "再撤"])
            #expect(late == 409 && lateAnswer["detail"]?.stringValue?.contains("cancelled by the sending centre rizhao-wulian") == true, "\(late) \(lateAnswer)")
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM events") == before + 1)

            try await F.waitUntil("the two logs are identical") {
                let logs = try await federation.logs()
                return logs[rizhao.id] == logs[qingdao.id]
            }
            for (node, centre) in [(rizhao, Self.wulian), (qingdao, Self.licang)] {
                let (_, view) = try await federation.call(node, "GET", "/v1/cases/\(caseID)", as: centre)
                #expect(view["version"] == 4, "\(node.id): \(view)")
            }
            let (_, owned) = try await federation.call(rizhao, "GET", "/v1/cases/\(caseID)", as: Self.wulian)
            #expect(owned["owner"] == "rizhao-wulian" && owned["phase"] == "ready-for-decision", "\(owned)")
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0)
            #expect(try await rizhao.database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0)

            // The staff route at Rizhao, relaying to Qingdao: hostile reasons stay 4xx there too.
            let second = try await Self.pendingTransfer(federation)
            let beforeSecond = try await qingdao.database.count("SELECT count(*)::int FROM events")
            let relayed: [(String, JSONValue)] = [
                ("blank", ["expectedVersion": 3, "reason": "  "]),
                ("NUL", ["expectedVersion": 3, "reason": "x\u{0}"]),
                ("5,000 characters", ["expectedVersion": 3, "reason": .string(String(repeating: "长", count: 5000))]),
                ("100 KB", ["expectedVersion": 3, "reason": .string(String(repeating: "x", count: 100_000))]),
                ("Int64.min", ["expectedVersion": .integer(.min), "reason": "x"]),
                ("Int64.max", ["expectedVersion": .integer(.max), "reason": "x"]),
            ]
            for (kind, body) in relayed {
                let (status, answer) = try await federation.call(rizhao, "POST", "/v1/cases/\(second)/transfer/cancel", as: Self.wulian, body)
                #expect((400..<500).contains(status) && answer["type"]?.stringValue?.hasPrefix(Problem.typeBase) == true,
                        "relayed \(kind): \(status) \(String(describing: answer).prefix(300))")
            }
            let (stranger, strangerAnswer) = try await federation.call(rizhao, "POST", "/v1/cases/\(second)/transfer/cancel",
                                                                       as: CentreID(rawValue: "rizhao-donggang")!, ["expectedVersion": 3, "reason": "x"])
            #expect(stranger == 403, "\(stranger) \(strangerAnswer)")
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM events") == beforeSecond, "nothing written")
        }
    }
}

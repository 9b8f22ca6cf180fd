import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
@testable import NodeServer
import TestSupport
import Testing

/// Hostile requests to a pending transfer's cancel and return: the staff routes, the
/// node-signed cancellation and the page forms. Each is refused with a 4xx problem and
/// writes nothing; none is a 5xx, lets one centre or node act for another, or tells a
/// centre that takes no part in the case what happened to it.
@Suite("Transfer cancel and return under hostile input")
struct TransferCancelHostileTests {
    typealias H = NodeHarness

    /// A case at Wulian sent to Licang, at version 3.
    static func pendingTransfer(_ node: H) async throws -> String {
        try await TransferCancelTests.pendingTransfer(node)
    }

    /// A raw JSON body as staff of `centre`.
    static func raw(_ node: H, _ path: String, as centre: CentreID, _ text: String, contentType: String = "application/json") async throws -> H.Answer {
        let token = try await node.token(centre)
        return try await node.send(.post, path, headers: [.contentType: contentType, .authorization: "Bearer \(token)"], body: ByteBuffer(string: text))
    }

    /// An RFC 9457 problem with a 4xx status.
    static func isClientProblem(_ answer: H.Answer) -> Bool {
        (400..<500).contains(Int(answer.status.code)) && answer.json["type"]?.stringValue?.hasPrefix(Problem.typeBase) == true
            && answer.json["detail"]?.stringValue != nil
    }

    @Test func hostileExpectedVersionsAreConflictsOrRefusalsAndWriteNothing() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            for path in ["/v1/cases/\(caseID)/transfer/cancel", "/v1/cases/\(caseID)/transfer/return"] {
                let centre = path.hasSuffix("cancel") ? H.wulian : H.licang
                for version in [Int64.min, Int64.min + 1, -1] {
                    let answer = try await node.call(.post, path, as: centre, ["expectedVersion": .integer(version), "reason": "撤回"])
                    #expect(answer.status == .unprocessableContent && answer.json["errors"]?[0]?["field"] == "expectedVersion" && Self.isClientProblem(answer),
                            "no record is at \(version): \(answer.status) \(answer.json)")
                }
                for version in [0, 1, 2, 4, 5, Int64.max - 1, Int64.max] {
                    let answer = try await node.call(.post, path, as: centre, ["expectedVersion": .integer(version), "reason": "撤回"])
                    #expect(answer.status == .conflict && Self.isClientProblem(answer), "\(path) expectedVersion \(version): \(answer.status) \(answer.json)")
                    #expect(answer.json["currentVersion"] == 3, "\(version): \(answer.json)")
                }
                for literal in ["9223372036854775808", "-9223372036854775809", "99999999999999999999999", "1e400", "3.5", "\"3\"", "null", "true", "[3]"] {
                    let answer = try await Self.raw(node, path, as: centre, #"{"expectedVersion":\#(literal),"reason":"撤回"}"#)
                    #expect(Self.isClientProblem(answer), "\(path) expectedVersion \(literal): \(answer.status) \(answer.json)")
                }
            }
            #expect(try await node.logSize() == 3, "nothing written")
        }
    }

    @Test func hostileReasonsAreRefusedAndWriteNothing() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            for path in ["/v1/cases/\(caseID)/transfer/cancel", "/v1/cases/\(caseID)/transfer/return"] {
                let centre = path.hasSuffix("cancel") ? H.wulian : H.licang
                for (kind, reason) in HostileRequests.texts + [("4,001 characters", String(repeating: "x", count: 4001)), ("blank", " \n\t "),
                                                               ("empty", ""), ("noncharacter", "x\u{FFFE}"), ("DEL", "x\u{7F}")] {
                    let answer = try await node.call(.post, path, as: centre, ["expectedVersion": 3, "reason": .string(reason)])
                    #expect(answer.status == .unprocessableContent && Self.isClientProblem(answer), "\(path) reason \(kind): \(answer.status) \(answer.json)")
                    #expect(answer.json["errors"]?[0]?["field"] == "reason", "\(kind): \(answer.json)")
                }
                let megabyte = #"{"expectedVersion":3,"reason":""# + String(repeating: "x", count: 1 << 20) + #""}"#
                let huge = try await Self.raw(node, path, as: centre, megabyte)
                #expect(huge.status == .contentTooLarge && Self.isClientProblem(huge), "\(path) 1 MB: \(huge.status) \(huge.json)")
                // Just under the JSON body limit, over the event's.
                let big = try await Self.raw(node, path, as: centre, #"{"expectedVersion":3,"reason":""# + String(repeating: "x", count: 200_000) + #""}"#)
                #expect(big.status == .unprocessableContent && Self.isClientProblem(big), "\(path) 200 KB: \(big.status) \(big.json)")
                for body in [#"{"expectedVersion":3}"#, #"{"expectedVersion":3,"reason":null}"#, #"{"expectedVersion":3,"reason":7}"#, "", "{", "[]",
                             #"{"expectedVersion":3,"reason":"\ud800"}"#, String(repeating: "[", count: 100_000)] {
                    let answer = try await Self.raw(node, path, as: centre, body)
                    #expect(Self.isClientProblem(answer), "\(path) body \(body): \(answer.status) \(answer.json)")
                }
                let text = try await Self.raw(node, path, as: centre, #"{"expectedVersion":3,"reason":"x"}"#, contentType: "text/plain")
                #expect(text.status == .unsupportedMediaType, "\(text.status) \(text.json)")
            }
            #expect(try await node.logSize() == 3, "nothing written")
        }
    }

    /// A body naming a field twice is ambiguous (which reason did the staff member mean, and
    /// which one did a proxy or log read?): it is refused, as the canonical parser refuses it.
    @Test func aBodyNamingAFieldTwiceIsRefused() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            for (path, centre) in [("/v1/cases/\(caseID)/transfer/cancel", H.wulian), ("/v1/cases/\(caseID)/transfer/return", H.licang)] {
                for body in [#"{"expectedVersion":3,"reason":"误转","reason":"y"}"#, #"{"expectedVersion":4,"expectedVersion":3,"reason":"误转"}"#] {
                    let answer = try await Self.raw(node, path, as: centre, body)
                    #expect(Self.isClientProblem(answer), "\(path) \(body): \(answer.status) \(answer.json)")
                }
            }
            #expect(try await node.logSize() == 3, "nothing written")
        }
    }

    @Test func hostileReturnCodesAreRefused() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            let path = "/v1/cases/\(caseID)/transfer/return"
            for code in [#""""#, #""OTHER""#, #""other ""#, #""other\u0000""#, "7", "[]", "{}", #""duplicate\u202E""#, "\"" + String(repeating: "a", count: 10_000) + "\""] {
                let answer = try await Self.raw(node, path, as: H.licang, #"{"expectedVersion":3,"reasonCode":\#(code),"reason":"不属管辖"}"#)
                #expect(Self.isClientProblem(answer), "reasonCode \(code.prefix(40)): \(answer.status) \(answer.json)")
            }
            #expect(try await node.logSize() == 3, "nothing written")
        }
    }

    @Test func hostileCaseIDsAreNotFoundAndAnUpperCaseIDIsTheSameCase() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            for id in ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "0190f1c4-0000-7000-8000-000000000000", String(repeating: "a", count: 2000),
                       "%00", "%2e%2e%2f%2e%2e", caseID + "0", String(caseID.dropLast()), "{\(caseID)}", caseID.replacingOccurrences(of: "-", with: "")] {
                for (suffix, centre) in [("cancel", H.wulian), ("return", H.licang)] {
                    let answer = try await node.call(.post, "/v1/cases/\(id)/transfer/\(suffix)", as: centre, ["expectedVersion": 3, "reason": "撤回"])
                    #expect(answer.status == .notFound && Self.isClientProblem(answer), "\(suffix) \(id.prefix(60)): \(answer.status) \(answer.json)")
                }
            }
            #expect(try await node.logSize() == 3)
            let upper = try await node.call(.post, "/v1/cases/\(caseID.uppercased())/transfer/cancel", as: H.wulian, ["expectedVersion": 3, "reason": "撤回"])
            #expect(upper.status == .ok && upper.json["version"] == 4, "\(upper.json)")
            let again = try await node.call(.post, "/v1/cases/\(caseID)/transfer/cancel", as: H.wulian, ["expectedVersion": 3, "reason": "撤回"])
            #expect(again.status == .conflict && again.json["detail"]?.stringValue?.contains("cancelled by the sending centre") == true, "\(again.json)")
            let late = try await node.call(.post, "/v1/cases/\(caseID.uppercased())/transfer/return", as: H.licang, ["expectedVersion": 3, "reason": "不属管辖"])
            #expect(late.status == .conflict, "\(late.json)")
            #expect(try await node.logSize() == 4, "one cancellation, whatever the spelling of the id")
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(view["phase"] == "ready-for-decision" && view["owner"] == "rizhao-wulian" && view["version"] == 4, "\(view)")
        }
    }

    /// Only the sending centre's staff cancel and only the receiving centre's return: not
    /// a supervisor of the same city, not an auditor, not a centre of the same node.
    @Test func noOtherCentreOrRoleCancelsOrReturns() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            let cancel = "/v1/cases/\(caseID)/transfer/cancel", giveBack = "/v1/cases/\(caseID)/transfer/return"
            let refusals: [(String, CentreID, StaffRole)] = [
                (cancel, CentreID(rawValue: "rizhao-donggang")!, .staff), (cancel, CentreID(rawValue: "rizhao-municipal")!, .supervisor),
                (cancel, H.wulian, .auditor), (cancel, CentreID(rawValue: "qingdao-shinan")!, .supervisor), (cancel, H.licang, .supervisor),
                (giveBack, H.wulian, .staff), (giveBack, CentreID(rawValue: "qingdao-shinan")!, .staff), (giveBack, H.licang, .auditor),
                (giveBack, CentreID(rawValue: "qingdao-municipal")!, .supervisor),
            ]
            for (path, centre, role) in refusals {
                let answer = try await node.call(.post, path, as: centre, role: role, ["expectedVersion": 3, "reason": "撤回"])
                #expect(answer.status == .forbidden && Self.isClientProblem(answer), "\(path) as \(centre) \(role): \(answer.status) \(answer.json)")
            }
            let unsigned = try await node.call(.post, cancel, as: nil, ["expectedVersion": 3, "reason": "撤回"])
            #expect(unsigned.status == .unauthorized, "\(unsigned.json)")
            // A staff token is not a node's signature.
            let asStaff = try await node.call(.post, TransferCancellation.Message.path, as: H.wulian,
                                              ["caseId": .string(caseID), "expectedVersion": 3, "reason": "撤回", "centre": "rizhao-wulian", "staff": "s"])
            #expect(asStaff.status == .unauthorized, "\(asStaff.json)")
            #expect(try await node.logSize() == 3, "nothing written")
        }
    }

    /// A centre that takes no part in the case is refused as such, not told by a conflict
    /// who answered the transfer and when.
    @Test func aStrangerIsNotToldHowTheTransferWasAnswered() async throws {
        try await H.run { node in
            let accepted = try await Self.pendingTransfer(node)
            try await node.expect(.ok, .post, "/v1/cases/\(accepted)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            let cancelled = try await Self.pendingTransfer(node)
            try await node.expect(.ok, .post, "/v1/cases/\(cancelled)/transfer/cancel", as: H.wulian, ["expectedVersion": 3, "reason": "误转"])
            let before = try await node.logSize()
            for (caseID, suffix) in [(accepted, "cancel"), (accepted, "return"), (cancelled, "cancel"), (cancelled, "return"), (cancelled, "accept")] {
                let answer = try await node.call(.post, "/v1/cases/\(caseID)/transfer/\(suffix)", as: H.huancui, ["expectedVersion": 3, "reason": "x"])
                let detail = answer.json["detail"]?.stringValue ?? ""
                // A plain version conflict (every command checks the version first) is no leak of the answer.
                #expect(answer.status == .forbidden || answer.status == .conflict, "\(suffix) on \(caseID) as weihai-huancui: \(answer.status) \(answer.json)")
                #expect(!detail.contains("accepted by") && !detail.contains("cancelled by") && !detail.contains("returned by") && !detail.contains("licang"),
                        "\(suffix) on \(caseID) leaks the answer: \(detail)")
            }
            #expect(try await node.logSize() == before)
        }
    }

    /// Many cancels and a return at once on one node: one answer is written.
    @Test func concurrentAnswersWriteOneEvent() async throws {
        try await H.run { node in
            let caseID = try await Self.pendingTransfer(node)
            let statuses = try await withThrowingTaskGroup(of: (String, HTTPResponse.Status).self) { group in
                for index in 0..<12 {
                    group.addTask {
                        if index % 4 == 3 {
                            return ("return", try await node.call(.post, "/v1/cases/\(caseID)/transfer/return", as: H.licang,
                                                                  ["expectedVersion": 3, "reasonCode": "duplicate", "reason": "重复"]).status)
                        }
                        return ("cancel", try await node.call(.post, "/v1/cases/\(caseID)/transfer/cancel", as: H.wulian,
                                                              ["expectedVersion": 3, "reason": .string("撤回 \(index)")]).status)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.1 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0.1 == .conflict }.count == 11, "\(statuses)")
            #expect(try await node.logSize() == 4)
        }
    }

    @Test func thePageFormsRefuseHostileInputAndStrangers() async throws {
        try await H.run { node in
            typealias P = StaffPagesTests
            let caseID = try await Self.pendingTransfer(node)
            let wulian = try await P.signIn(node, as: H.wulian)
            let (_, html) = try await P.page(node, "/cases/\(caseID)", cookie: wulian)
            let csrf = try P.csrf(in: html)
            let cancel = "/cases/\(caseID)/transfer/cancel"
            let forms: [(String, Set<Int>)] = [
                ("csrf=\(csrf)&expectedVersion=9223372036854775808&reason=x", [400]),
                ("csrf=\(csrf)&expectedVersion=-9223372036854775809&reason=x", [400]),
                ("csrf=\(csrf)&expectedVersion=abc&reason=x", [400]),
                ("csrf=\(csrf)&expectedVersion=3", [400]),
                ("csrf=\(csrf)&expectedVersion=-9223372036854775808&reason=x", [422]),
                ("csrf=\(csrf)&expectedVersion=9223372036854775807&reason=x", [409]),
                ("csrf=\(csrf)&expectedVersion=3&reason=%00x", [422]),
                ("csrf=\(csrf)&expectedVersion=3&reason=%E2%80%AEx", [422]),
                ("csrf=\(csrf)&expectedVersion=3&reason=%C0%AF", [400]),
                ("csrf=\(csrf)&expectedVersion=3&reason=%20%20", [422]),
                ("csrf=\(csrf)&expectedVersion=3&reason=" + String(repeating: "x", count: 70_000), [413]),
                ("csrf=wrong&expectedVersion=3&reason=x", [403]),
                ("expectedVersion=3&reason=x", [403]),
            ]
            for (form, statuses) in forms {
                let answer = try await P.post(node, cancel, cookie: wulian, form: form)
                #expect(statuses.contains(Int(answer.status.code)), "\(form.prefix(120)): \(answer.status) \(String(describing: answer.json).prefix(300))")
            }
            for id in ["not-a-uuid", "0190f1c4-0000-7000-8000-000000000000", String(repeating: "a", count: 2000)] {
                let answer = try await P.post(node, "/cases/\(id)/transfer/cancel", cookie: wulian, form: "csrf=\(csrf)&expectedVersion=3&reason=x")
                #expect(answer.status == .notFound, "\(id.prefix(40)): \(answer.status)")
            }
            // A stranger's cancel shows the stranger nothing of the case.
            let huancui = try await P.signIn(node, as: H.huancui)
            let (_, strangerHTML) = try await P.page(node, "/inbox", cookie: huancui)
            let strangerCSRF = try P.csrf(in: strangerHTML)
            let stranger = try await P.post(node, cancel, cookie: huancui, form: "csrf=\(strangerCSRF)&expectedVersion=3&reason=x")
            let strangerText = stranger.json.stringValue ?? "\(stranger.json)"
            #expect(stranger.status == .forbidden && !strangerText.contains("张") && !strangerText.contains("licang"), "\(stranger.status) \(strangerText.prefix(500))")
            // The receiving centre's return form takes only the listed codes.
            let licang = try await P.signIn(node, as: H.licang)
            let licangCSRF = try P.csrf(in: try await P.page(node, "/cases/\(caseID)", cookie: licang).1)
            for code in ["bogus", "OTHER", "%00", "other%0A", ""] {
                let answer = try await P.post(node, "/cases/\(caseID)/transfer/return", cookie: licang,
                                              form: "csrf=\(licangCSRF)&expectedVersion=3&reasonCode=\(code)&reason=x")
                #expect((400..<500).contains(Int(answer.status.code)), "reasonCode=\(code): \(answer.status)")
            }
            let wulianReturns = try await P.post(node, "/cases/\(caseID)/transfer/return", cookie: wulian, form: "csrf=\(csrf)&expectedVersion=3&reason=x")
            #expect(wulianReturns.status == .forbidden, "the sender does not return its own transfer: \(wulianReturns.status)")
            #expect(try await node.logSize(receipts: false) == 3, "nothing written but Licang's receipt of the transfer it opened")
        }
    }

    /// A target node's answer is relayed under its own kind only when that kind is a
    /// refusal of the request: a 4xx typed `internal-error` is not the sender's 500, and a
    /// 401 (the target refused the sender's signature) is not "your staff token is bad".
    @Test func aTargetNodesAnswerCannotTurnIntoAServerErrorOrAStaffTokenRefusal() throws {
        let node = NodeID(rawValue: "qingdao")!
        func problem(_ status: UInt, _ text: String) -> Problem? {
            do { _ = try WriterRelay.result(of: status, Array(text.utf8), from: node, recordID: "c", waiting: "the transfer is pending"); return nil } catch {
                return error as? Problem
            }
        }
        let internalError = problem(400, #"{"type":"https://tongban.example/problems/internal-error","detail":"x"}"#)
        #expect(internalError != nil && internalError?.kind != .internalError, "a target's 400 became this node's 500: \(String(describing: internalError))")
        let unauthorized = problem(401, #"{"type":"https://tongban.example/problems/unauthorized","detail":"sync endpoints take node-signed requests only: stale"}"#)
        #expect(unauthorized != nil && unauthorized?.kind != .unauthorized, "the staff's token was fine: \(String(describing: unauthorized))")
        for status: UInt in [0, 100, 199, 204, 302, 399, 600, UInt.max] {
            #expect(problem(status, #"{"type":"https://tongban.example/problems/conflict","detail":"x","version":4}"#)?.kind == .unavailable, "\(status)")
        }
        #expect(problem(200, #"{"version":9223372036854775807}"#) == nil, "a version is a version")
        #expect(problem(200, #"{"version":0}"#)?.kind == .unavailable)
        #expect(problem(409, #"{"type":"https://tongban.example/problems/conflict","detail":"x","errors":"nope","currentVersion":"4"}"#)?.kind == .conflict)
        let deep = String(repeating: "[", count: 100_000)
        #expect(problem(409, deep)?.kind == .unavailable, "deeply nested JSON is not a crash")
    }
}

import CaseDomain
import EventLog
import Federation
import Foundation
import TestSupport
import Testing

/// The sender's cancel (asked at Rizhao, recorded by Qingdao) and the target's accept (at
/// Qingdao), given at once on many cases with random timing: on each case exactly one
/// wins, the other is told which, and every node ends with the same state.
@Suite("Transfer cancel races an accept across two nodes", .serialized)
struct TransferCancelRaceTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let races = 100

    @Test func exactlyOneOfACancelAndAnAcceptWinsEverywhere() async throws {
        let seed = SeededRandom.seed(from: "TONGBAN_RACE_SEED")
        print("TransferCancelRaceTests: seed \(seed) (replay with TONGBAN_RACE_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let delays = (0..<Self.races).map { _ in (Int.random(in: 0..<40, using: &random), Int.random(in: 0..<40, using: &random)) }
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"]
            var cases: [String] = []
            for _ in 0..<Self.races {
                let (status, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application(idNumber: NodeHarness.distinctIDNumber()))
                let caseID = try #require(created["caseId"]?.stringValue, "\(status) \(created)")
                let path = "/v1/cases/\(caseID)"
                try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
                let (sent, answer) = try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian,
                                                               ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
                #expect(sent == 200, "\(answer)")
                cases.append(caseID)
            }
            // Qingdao holds every transfer and its key (the cancel's reason is sealed there).
            let last = cases[cases.count - 1]
            try await F.waitUntil("Qingdao reads the last transferred application") {
                let (_, view) = try await federation.call(qingdao, "GET", "/v1/cases/\(last)", as: Self.licang)
                return view["applicant"]?["name"] == "张某"
            }
            try await F.waitUntil("every key reached Qingdao") {
                let arrived = try await qingdao.database.count("SELECT count(*)::int FROM events WHERE type = 'TransferRequested'")
                let owed = try await rizhao.database.count("SELECT count(*)::int FROM key_grants WHERE recipient = 'qingdao' AND delivered_at IS NULL")
                return arrived == Self.races && owed == 0
            }

            let outcomes = try await withThrowingTaskGroup(of: (String, Int, JSONValue, Int, JSONValue).self) { group in
                for (caseID, (cancelDelay, acceptDelay)) in zip(cases, delays) {
                    group.addTask {
                        async let cancel = { () async throws -> (Int, JSONValue) in
                            try await Task.sleep(for: .milliseconds(cancelDelay))
                            return try await federation.call(rizhao, "POST", "/v1/cases/\(caseID)/transfer/cancel", as: Self.wulian,
                                                             ["expectedVersion": 3, "reason": "误转，撤回"])
                        }()
                        async let accept = { () async throws -> (Int, JSONValue) in
                            try await Task.sleep(for: .milliseconds(acceptDelay))
                            return try await federation.call(qingdao, "POST", "/v1/cases/\(caseID)/transfer/accept", as: Self.licang, ["expectedVersion": 3])
                        }()
                        let ((cancelStatus, cancelAnswer), (acceptStatus, acceptAnswer)) = try await (cancel, accept)
                        return (caseID, cancelStatus, cancelAnswer, acceptStatus, acceptAnswer)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2, $1.3, $1.4) }
            }
            var cancelsWon = 0
            for (caseID, (cancelStatus, cancelAnswer, acceptStatus, acceptAnswer)) in outcomes {
                #expect([cancelStatus, acceptStatus].sorted() == [200, 409], "\(caseID) (seed \(seed)): cancel \(cancelStatus) \(cancelAnswer), accept \(acceptStatus) \(acceptAnswer)")
                if cancelStatus == 200 {
                    cancelsWon += 1
                    #expect(acceptAnswer["detail"]?.stringValue?.contains("cancelled by the sending centre rizhao-wulian") == true, "\(acceptAnswer)")
                } else {
                    #expect(cancelAnswer["detail"]?.stringValue?.contains("accepted by qingdao-licang") == true, "\(cancelAnswer)")
                }
            }
            print("TransferCancelRaceTests: seed \(seed): \(cancelsWon) cancels and \(Self.races - cancelsWon) accepts won")

            try await F.waitUntil("the two logs are identical") {
                let logs = try await federation.logs()
                return logs[rizhao.id] == logs[qingdao.id]
            }
            #expect(try await qingdao.database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0)
            for caseID in cases {
                let expectedOwner = outcomes[caseID]?.0 == 200 ? "rizhao-wulian" : "qingdao-licang"
                for node in [rizhao, qingdao] {
                    let (_, view) = try await federation.call(node, "GET", "/v1/cases/\(caseID)", as: node.id == rizhao.id ? Self.wulian : Self.licang)
                    #expect(view["owner"]?.stringValue == expectedOwner && view["phase"] == "ready-for-decision" && view["version"] == 4,
                            "\(caseID) on \(node.id) (seed \(seed)): \(view)")
                }
            }
        }
    }

    /// A node speaks only for its own centres: Weihai cannot cancel Wulian's transfer.
    @Test func aNodeCannotCancelForAnotherNodesCentre() async throws {
        try await F.run { federation in
            let qingdao = federation["qingdao"]
            let body = Data(#"{"caseId":"0190f1c4-0000-7000-8000-000000000000","expectedVersion":3,"reason":"x","centre":"rizhao-wulian","staff":"s"}"#.utf8)
            let path = "/v1/sync/transfer-cancellations"
            let headers = Dictionary(uniqueKeysWithValues: try NodeRequestSignature.headers(
                method: "POST", path: path, body: body, key: TestSupport.TestDatabase.key("weihai"), to: NodeID(rawValue: "qingdao")!,
                at: Timestamp(Date()).millisecondsSinceEpoch))
            let (status, answer) = try await federation.request(qingdao, "POST", path, headers: headers, rawBody: body)
            #expect(status == 403, "\(answer)")
            #expect(try await federation.request(qingdao, "POST", path, rawBody: body).0 == 401, "unsigned")
        }
    }
}

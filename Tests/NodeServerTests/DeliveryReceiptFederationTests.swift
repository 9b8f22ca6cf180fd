import CaseDomain
import Casework
import Foundation
@testable import NodeServer
import TestSupport
import Testing

/// Proof of delivery across two nodes: Wulian at Rizhao transfers a case to Licang at
/// Qingdao; Qingdao's node records its arrival and Licang's first reading, and Rizhao reads
/// both, signed by Qingdao.
@Suite("Delivery receipts across two nodes", .serialized)
struct DeliveryReceiptFederationTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!

    @Test func theRecipientsNodeRecordsDeliveryAndOpeningAndTheSenderSeesBoth() async throws {
        try await F.run(cities: ["rizhao", "qingdao"]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"]
            let (status, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
            let caseID = try #require(created["caseId"]?.stringValue, "\(status) \(created)")
            let path = "/v1/cases/\(caseID)"
            _ = try await federation.call(rizhao, "POST", "\(path)/assessment", as: Self.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            let (sent, _) = try await federation.call(rizhao, "POST", "\(path)/transfer", as: Self.wulian,
                                                      ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            #expect(sent == 200)

            try await F.waitUntil("Wulian sees the transfer delivered at Qingdao") {
                let (_, view) = try await federation.call(rizhao, "GET", path, as: Self.wulian)
                return view["deliveries"]?[0]?["deliveredAt"]?.stringValue != nil
            }
            let (_, delivered) = try await federation.call(rizhao, "GET", path, as: Self.wulian)
            #expect(delivered["deliveries"]?[0]?["openedAt"]?.stringValue == nil, "nobody at Licang has read it yet: \(delivered)")
            let signedBy = try await rizhao.database.count("SELECT count(*)::int FROM events WHERE type = 'DeliveryRecorded' AND origin_node = 'qingdao'")
            #expect(signedBy == 1, "the receipt is Qingdao's event, signed by Qingdao")

            let (read, _) = try await federation.call(qingdao, "GET", path, as: Self.licang)
            #expect(read == 200)
            try await F.waitUntil("Wulian sees Licang's first reading") {
                let (_, view) = try await federation.call(rizhao, "GET", path, as: Self.wulian)
                return view["deliveries"]?[0]?["openedAt"]?.stringValue != nil
            }
            let (_, opened) = try await federation.call(rizhao, "GET", path, as: Self.wulian)
            let code = try #require(opened["deliveries"]?[0]?["openedCode"]?.stringValue)
            let (verified, confirmation) = try await federation.request(rizhao, "GET", "/verify/\(code)")
            #expect(verified == 200 && confirmation["node"] == "qingdao" && confirmation["type"] == "DeliveryOpened", "\(confirmation)")
            try await F.waitUntil("the two logs are identical") {
                let logs = try await federation.logs()
                return logs[rizhao.id] == logs[qingdao.id]
            }
            for node in [rizhao, qingdao] {
                let receipts = try await node.database.count("SELECT count(*)::int FROM events WHERE stream_id LIKE 'delivery-%'")
                let fromRizhao = try await node.database.count("SELECT count(*)::int FROM events WHERE stream_id LIKE 'delivery-%' AND origin_node = 'rizhao'")
                #expect(receipts == 2 && fromRizhao == 0, "\(node.id): one delivery and one opening, both Qingdao's")
            }
        }
    }
}

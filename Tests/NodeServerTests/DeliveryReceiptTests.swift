import CaseDomain
import Casework
import EventLog
import Foundation
@testable import NodeServer
import TestSupport
import Testing

/// Proof of delivery (送达): the recipient's node records when a transfer or an
/// investigation request arrived and when its staff first opened it, once each, and the
/// sender reads both with their times and verification codes.
@Suite("Delivery receipts")
struct DeliveryReceiptTests {
    typealias H = NodeHarness

    /// The receipts' events in the node's log, by type, for `record` (`case-…`, `investigation-…`).
    static func receiptEvents(_ node: H) async throws -> [String] {
        let rows = try await node.database.service.query("SELECT type FROM events WHERE stream_id LIKE 'delivery-%' ORDER BY global_position")
        var types: [String] = []
        for try await type in rows.decode(String.self) { types.append(type) }
        return types
    }

    @Test func aTransferIsDeliveredThenOpenedOnceAndTheSenderSeesBothWithCodes() async throws {
        try await H.run { node in
            let caseID = try await TransferCancelTests.pendingTransfer(node)
            let sent = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(sent["deliveries"]?[0]?["toCentre"] == "qingdao-licang" && sent["deliveries"]?[0]?["deliveredAt"]?.stringValue == nil, "\(sent)")
            #expect(sent["deliveries"]?[0]?["requestVersion"] == 3 && sent["deliveries"]?[0]?["kind"] == "transfer")

            // The clerk records the arrival, once however many rounds run.
            let clerk = node.server.deliveryClerk(interval: .seconds(1), logger: .init(label: "test"))
            #expect(try await clerk.round() == 1)
            #expect(try await clerk.round() == 0)
            let delivered = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)["deliveries"]?[0]
            #expect(delivered?["deliveredAt"]?.stringValue == H.now.description && delivered?["openedAt"]?.stringValue == nil, "\(String(describing: delivered))")
            let deliveredCode = try #require(delivered?["deliveredCode"]?.stringValue)

            // Licang's staff open it, several at once: one opening is recorded, shown at once to the reader.
            let readers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for staff in 0..<6 {
                    group.addTask {
                        let token = try await node.token(H.licang, staff: "licang-\(staff)")
                        let answer = try await node.send(.get, "/v1/cases/\(caseID)", headers: [.authorization: "Bearer \(token)"], body: nil)
                        return answer.json
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(readers.allSatisfy { $0["deliveries"]?[0]?["deliveredCode"]?.stringValue == deliveredCode })
            #expect(try await Self.receiptEvents(node) == ["DeliveryRecorded", "DeliveryOpened"])
            let opened = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)["deliveries"]?[0]
            let openedBy = try #require(opened?["openedBy"]?.stringValue)
            #expect(openedBy.hasPrefix("licang-") && opened?["openedAt"]?.stringValue == H.now.description, "\(String(describing: opened))")
            #expect(readers.contains { $0["deliveries"]?[0]?["openedBy"]?.stringValue == openedBy }, "the reader who opened it is shown its opening")

            // Each code is the receipt event's hash, which /verify confirms with who and what.
            let openedCode = try #require(opened?["openedCode"]?.stringValue)
            let verified = try await node.expect(.ok, .get, "/verify/\(openedCode)", as: nil)
            #expect(verified["type"] == "DeliveryOpened" && verified["check"] == "ok" && verified["centre"] == "qingdao-licang", "\(verified)")

            // The sender's reads and an answered transfer open nothing more.
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            _ = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang)
            #expect(try await Self.receiptEvents(node).count == 2)
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)["deliveries"]?[0]?["answered"] == true)
        }
    }

    @Test func anInvestigationOpenedBeforeTheClerkRanIsDeliveredAndOpenedInOneAppend() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            let investigation = try #require(try await node.expect(.created, .post, "/v1/cases/\(caseID)/investigations", as: H.licang,
                                                                   ["toCentre": "weihai-huancui", "questions": ["车辆登记"], "dueDays": 10])["investigationId"]?.stringValue)
            _ = try await node.expect(.ok, .get, "/v1/investigations/\(investigation)", as: H.licang, role: .auditor)
            _ = try await node.expect(.ok, .get, "/v1/investigations/\(investigation)", as: H.licang)
            #expect(try await Self.receiptEvents(node).isEmpty, "the requester's reads and an auditor's open nothing")
            _ = try await node.expect(.ok, .get, "/v1/investigations/\(investigation)", as: H.huancui)
            _ = try await node.expect(.ok, .get, "/v1/investigations/\(investigation)", as: H.huancui)
            #expect(try await Self.receiptEvents(node) == ["DeliveryRecorded", "DeliveryOpened"])
            let actors = try await node.database.service.query("SELECT actor_centre FROM events WHERE stream_id LIKE 'delivery-weihai-huancui-%' ORDER BY stream_version")
            var centres: [String?] = []
            for try await centre in actors.decode(String?.self) { centres.append(centre) }
            #expect(centres == [nil, "weihai-huancui"], "delivered by the system, opened by Huancui's staff")
            let positions = try await node.database.service.query("SELECT global_position FROM events WHERE stream_id LIKE 'delivery-%' ORDER BY global_position")
            var at: [Int64] = []
            for try await position in positions.decode(Int64.self) { at.append(position) }
            #expect(at.count == 2 && at[1] == at[0] + 1, "one commit, one after the other: \(at)")

            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang)
            let delivery = view["deliveries"]?[0]
            #expect(delivery?["kind"] == "investigation" && delivery?["investigationId"]?.stringValue == investigation
                    && delivery?["toCentre"] == "weihai-huancui" && delivery?["openedAt"]?.stringValue != nil && delivery?["deliveredAt"]?.stringValue != nil, "\(view)")
        }
    }

    @Test func aReceiptFromAnyoneButTheRecipientChangesNothing() async throws {
        try await H.run { node in
            let caseID = try await TransferCancelTests.pendingTransfer(node)
            let honest = Delivery.Request(record: "case-\(caseID)", requestVersion: 3, kind: .transfer, centre: H.licang)
            var forged = honest
            forged.centre = H.huancui
            let misnamed = Delivery.Event.delivered(.init(request: honest))
            var appends: [StreamAppend] = []
            // Huancui claims the delivery in its own stream; another stream holds a receipt naming the honest one.
            for (stream, event) in [(forged.stream, Delivery.Event.delivered(.init(request: forged))), ("delivery-qingdao-shinan-\(UUID().uuidString.lowercased())", misnamed)] {
                appends.append(StreamAppend(stream: stream, expectedVersion: 0, events: [
                    NewEvent(type: event.type, schemaVersion: 1, actor: .system, body: try event.body()),
                ]))
            }
            _ = try await node.database.appender(node: "qingdao", clock: NodeClock(.fixed(H.now))).appendAtomically(appends)
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            #expect(view["deliveries"]?[0]?["deliveredAt"]?.stringValue == nil && view["deliveries"]?[1] == nil, "\(view)")
            try await node.project()
            #expect(try await node.database.count("SELECT count(*)::int FROM projections.parked_events") == 0)
        }
    }

    @Test func aTransferAnsweredBeforeAnyReadingIsNeverOpenedAndALateOpeningCountsForNothing() async throws {
        try await H.run { node in
            let caseID = try await TransferCancelTests.pendingTransfer(node)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer/accept", as: H.licang, ["expectedVersion": 3])
            _ = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang)
            _ = try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.licang)
            try await node.server.deliveryClerk(interval: .seconds(1), logger: .init(label: "test")).round()
            #expect(try await Self.receiptEvents(node).isEmpty, "answered: neither delivered by the clerk nor opened by a reading")

            // An opening written after the answer (a reader racing the answer) is projected as nothing.
            let request = Delivery.Request(record: "case-\(caseID)", requestVersion: 3, kind: .transfer, centre: H.licang)
            let late = Delivery.events(for: request, recordedSoFar: 0, openedBy: "licang-late")
            _ = try await node.database.appender(node: "qingdao", clock: NodeClock(.fixed(H.now))).appendAtomically([
                StreamAppend(stream: request.stream, expectedVersion: 0, events: try late.map {
                    NewEvent(type: $0.type, schemaVersion: 1, actor: .system, body: try $0.body())
                }),
            ])
            let delivery = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)["deliveries"]?[0]
            #expect(delivery?["answered"] == true && delivery?["openedAt"]?.stringValue == nil && delivery?["deliveredAt"]?.stringValue != nil,
                    "\(String(describing: delivery))")
        }
    }

    @Test func receiptsProjectedBeforeTheirRequestCountOnlyForItsRecipientWhateverTheOrder() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            // Receipts for the transfer that version 3 will be, a forged one (Huancui's) first.
            let forged = Delivery.Request(record: "case-\(caseID)", requestVersion: 3, kind: .transfer, centre: H.huancui)
            let honest = Delivery.Request(record: "case-\(caseID)", requestVersion: 3, kind: .transfer, centre: H.licang)
            let appender = node.database.appender(node: "qingdao", clock: NodeClock(.fixed(H.now)))
            for request in [forged, honest] {
                let event = Delivery.Event.delivered(.init(request: request))
                _ = try await appender.appendAtomically([StreamAppend(stream: request.stream, expectedVersion: 0, events: [
                    NewEvent(type: event.type, schemaVersion: 1, actor: .system, body: try event.body()),
                ])])
            }
            try await node.project()
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            let view = try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            let honestCode = try await node.database.service.query("SELECT encode(hash, 'hex') FROM events WHERE stream_id = \(honest.stream)")
            var codes: [String] = []
            for try await code in honestCode.decode(String.self) { codes.append(code) }
            #expect(view["deliveries"]?[0]?["toCentre"] == "qingdao-licang" && view["deliveries"]?[0]?["deliveredCode"]?.stringValue == codes.first,
                    "the recipient's receipt, not hidden by the forged one: \(view)")
            #expect(view["deliveries"]?[1] == nil, "the forged receipt is shown nowhere")
        }
    }

    @Test func theRecipientsFirstTimelineIncludesTheOpeningItRecorded() async throws {
        try await H.run { node in
            let caseID = try await TransferCancelTests.pendingTransfer(node)
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.licang)
            guard case .array(let events)? = timeline["events"] else { Issue.record("no events: \(timeline)"); return }
            #expect(events.compactMap { $0["type"]?.stringValue }.suffix(2) == ["DeliveryRecorded", "DeliveryOpened"], "\(events)")
        }
    }
}

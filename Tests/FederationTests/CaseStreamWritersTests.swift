import CaseDomain
import EventLog
import Federation
import Foundation
import Testing

@Suite("Invariant 5: the writer rules imports are judged by")
struct CaseStreamWritersTests {
    let rules = CaseStreamWriters()

    func envelope(_ stream: String, from origin: String, centre: String, type: String, body: JSONValue) -> EventEnvelope {
        EventEnvelope(eventId: .version7(at: Timestamp(Date())), originNode: NodeID(rawValue: origin)!, originSeq: 1, streamId: stream,
                      streamVersion: 1, type: type, schemaVersion: 1, recordedAt: Timestamp(Date()),
                      actor: Actor(centre: CentreID(rawValue: centre)!, staff: "s"), body: body, prevHash: .genesis)
    }

    @Test func aRegisterIsWrittenOnlyByItsCentresNode() throws {
        #expect(Numbering.centre(ofRegister: Numbering.stream(kind: .investigation, centre: CentreID(rawValue: "weihai-huancui")!, year: 2026))
                == CentreID(rawValue: "weihai-huancui"))
        #expect(Numbering.centre(ofRegister: "numbering-case-2026") == nil)
        #expect(Numbering.centre(ofRegister: "case-one") == nil)
        let register = "numbering-case-qingdao-licang-2026"
        let start = rules.initialState(of: register)
        _ = try rules.state(start, after: envelope(register, from: "qingdao", centre: "qingdao-licang", type: "NumberAllotted", body: [:]))
        #expect(throws: StreamWriterRefusal.self) {
            try rules.state(start, after: envelope(register, from: "rizhao", centre: "rizhao-wulian", type: "NumberAllotted", body: [:]))
        }
    }

    @Test func aRosterIsWrittenOnlyByItsCentresNode() throws {
        let roster = Roster.stream(of: CentreID(rawValue: "qingdao-licang")!)
        #expect(StreamID(roster) == .roster(CentreID(rawValue: "qingdao-licang")!) && StreamID("roster-") == nil && StreamID("roster-Licang") == nil)
        let start = rules.initialState(of: roster)
        _ = try rules.state(start, after: envelope(roster, from: "qingdao", centre: "qingdao-licang", type: "LawyerListed", body: [:]))
        #expect(throws: StreamWriterRefusal.self, "another city's node cannot put a lawyer on Licang's roster") {
            try rules.state(start, after: envelope(roster, from: "rizhao", centre: "rizhao-wulian", type: "LawyerListed", body: [:]))
        }
    }

    @Test func aDeliveryReceiptIsWrittenOnlyByTheRecipientsNode() throws {
        let licang = CentreID(rawValue: "qingdao-licang")!
        let request = Delivery.Request(record: "case-\(UUID().uuidString.lowercased())", requestVersion: 3, kind: .transfer, centre: licang)
        let receipt = request.stream
        #expect(StreamID(receipt) == .delivery(centre: licang, id: request.receiptID) && receipt.hasPrefix("delivery-qingdao-licang-"))
        #expect(Delivery.Request(record: request.record, requestVersion: 4, kind: .transfer, centre: licang).stream != receipt, "one receipt per request")
        for malformed in ["delivery-", "delivery-qingdao-licang", "delivery-qingdao-licang-\(UUID().uuidString)",
                          "delivery-qingdao-\(UUID().uuidString.lowercased())", "delivery--\(UUID().uuidString.lowercased())"] {
            #expect(StreamID(malformed) == nil, "\(malformed)")
        }
        let start = rules.initialState(of: receipt)
        _ = try rules.state(start, after: envelope(receipt, from: "qingdao", centre: "qingdao-licang", type: "DeliveryRecorded", body: [:]))
        #expect(throws: StreamWriterRefusal.self, "the sender's node cannot say the recipient received it") {
            try rules.state(start, after: envelope(receipt, from: "rizhao", centre: "rizhao-wulian", type: "DeliveryRecorded", body: [:]))
        }
        #expect(!Delivery.Request(record: request.record, requestVersion: 3, kind: .investigation, centre: licang).isWellFormed)
        #expect(!Delivery.Request(record: request.record, requestVersion: 0, kind: .transfer, centre: licang).isWellFormed)
        #expect(!Delivery.Request(record: "case-1", requestVersion: 3, kind: .transfer, centre: licang).isWellFormed)
    }

    @Test func anActorMustBeACentreOfTheOriginAndABodyMustRead() {
        let start = rules.initialState(of: "case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        #expect(throws: StreamWriterRefusal.self, "rizhao writing as a Qingdao centre") {
            try rules.state(start, after: envelope("case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "rizhao", centre: "qingdao-licang", type: "ApplicationSubmitted", body: [:]))
        }
        #expect(throws: StreamWriterRefusal.self, "a known type with a body that does not read") {
            try rules.state(start, after: envelope("case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "rizhao", centre: "rizhao-wulian", type: "ApplicationSubmitted", body: ["x": 1]))
        }
        #expect(throws: StreamWriterRefusal.self, "a case stream that names no case") {
            try rules.state(start, after: envelope("case-1", from: "rizhao", centre: "rizhao-wulian", type: "ApplicationSubmitted", body: [:]))
        }
        #expect(throws: Never.self, "streams of other kinds are not judged") {
            try rules.state(rules.initialState(of: "misc-1"), after: envelope("misc-1", from: "rizhao", centre: "rizhao-wulian", type: "Anything", body: [:]))
        }
    }

    @Test func onlyTheTransferTargetsNodeAnswersAPendingTransfer() throws {
        let pending = try rules.state(rules.initialState(of: "case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), after: envelope(
            "case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "rizhao", centre: "rizhao-wulian", type: "TransferRequested",
            body: ["fromCentre": "rizhao-wulian", "toCentre": "qingdao-licang", "reason": "r"]))
        let answer: JSONValue = ["centre": "qingdao-licang", "reason": "r"]
        #expect(throws: StreamWriterRefusal.self, "the source answering its own transfer") {
            try rules.state(pending, after: envelope("case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "rizhao", centre: "rizhao-wulian", type: "TransferReturned", body: answer))
        }
        #expect(throws: StreamWriterRefusal.self, "a third node answering") {
            try rules.state(pending, after: envelope("case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "weihai", centre: "weihai-huancui", type: "TransferReturned", body: answer))
        }
        _ = try rules.state(pending, after: envelope("case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", from: "qingdao", centre: "qingdao-licang", type: "TransferReturned", body: answer))
    }

    /// The sender's cancel is recorded by the target's node, the stream's one writer while
    /// the transfer is pending; the sender's own node writing it is refused everywhere.
    @Test func aCancellationIsTheTargetsNodesToRecord() throws {
        let stream = "case-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
        let pending = try rules.state(rules.initialState(of: stream), after: envelope(
            stream, from: "rizhao", centre: "rizhao-wulian", type: "TransferRequested",
            body: ["fromCentre": "rizhao-wulian", "toCentre": "qingdao-licang", "reason": "r"]))
        let cancel: JSONValue = ["centre": "rizhao-wulian", "staff": "s", "reason": "r"]
        #expect(throws: StreamWriterRefusal.self, "the sender's node recording the cancel itself") {
            try rules.state(pending, after: envelope(stream, from: "rizhao", centre: "rizhao-wulian", type: "TransferCancelled", body: cancel))
        }
        var system = envelope(stream, from: "qingdao", centre: "qingdao-licang", type: "TransferCancelled", body: cancel)
        system.actor = .system
        guard case .caseFile(let after) = try rules.state(pending, after: system) else { Issue.record("not a case state"); return }
        #expect(after.phase == .readyForDecision && after.transferTarget == nil, "the transfer is over: its target no longer writes the case")
    }
}

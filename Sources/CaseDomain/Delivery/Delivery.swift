import Crypto
import Foundation

/// Proof of delivery (送达): the node of a centre a case is transferred to, or an
/// investigation is requested of, records in a stream of its own when the request arrived
/// in its log and when its staff first opened it. The sender reads both, with their times,
/// and the receipt's events are signed by the receiving node like every event.
///
/// One receipt per request: its stream (`delivery-<centre>-<uuid>`, written by the
/// receiving centre's node alone) is named by the request, so recording it twice is an
/// append at a version already taken, never a second receipt.
public enum Delivery {
    /// What kind of request a receipt answers.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A case transferred to the centre (`TransferRequested`).
        case transfer
        /// An investigation requested of the centre (`InvestigationRequested`).
        case investigation
    }

    /// The request a receipt is for: the stream of the record sent and the stream version
    /// of the event that sent it, which every node's log gives the same.
    public struct Request: Sendable, Hashable, Codable {
        /// `case-<uuid>` for a transfer, `investigation-<uuid>` for a request.
        public var record: String
        public var requestVersion: Int64
        public var kind: Kind
        /// The centre the request was sent to: the only one whose node records its receipt.
        public var centre: CentreID

        public init(record: String, requestVersion: Int64, kind: Kind, centre: CentreID) {
            self.record = record
            self.requestVersion = requestVersion
            self.kind = kind
            self.centre = centre
        }

        /// The receipt's stream: the centre, then a UUID drawn from the record and version.
        public var stream: String { StreamID.delivery(centre: centre, id: receiptID).description }

        /// The receipt's id: the first 16 bytes of SHA-256 over the record and the
        /// request's version, as a UUID (version 8, RFC 9562's custom layout).
        public var receiptID: UUID {
            var bytes = Array(SHA256.hash(data: Data("tongban-delivery\u{0}\(record)\u{0}\(requestVersion)".utf8)).prefix(16))
            bytes[6] = (bytes[6] & 0x0F) | 0x80
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }

        /// Whether the request is one a receipt may name: a case or investigation stream
        /// whose kind matches, at a version no log exceeds.
        public var isWellFormed: Bool {
            guard requestVersion >= 1, requestVersion <= Int64(Int32.max), let stream = StreamID(record) else { return false }
            switch (stream, kind) {
            case (.caseFile, .transfer), (.investigation, .investigation): return true
            default: return false
            }
        }
    }

    /// The request was in the receiving node's log (delivered, 已送达).
    public struct Delivered: Sendable, Hashable, Codable {
        public var request: Request

        public init(request: Request) { self.request = request }
    }

    /// A staff member of the receiving centre first opened the record (已阅).
    public struct Opened: Sendable, Hashable, Codable {
        public var request: Request
        public var staff: String

        public init(request: Request, staff: String) {
            self.request = request
            self.staff = staff
        }
    }

    /// What happens to a receipt. Each case is an event type of schema version 1.
    public enum Event: Sendable, Hashable {
        case delivered(Delivered)
        case opened(Opened)

        public var type: String {
            switch self {
            case .delivered: "DeliveryRecorded"
            case .opened: "DeliveryOpened"
            }
        }

        /// The request the receipt is for.
        public var request: Request {
            switch self {
            case .delivered(let body): body.request
            case .opened(let body): body.request
            }
        }

        public func body() throws -> JSONValue {
            switch self {
            case .delivered(let body): try CanonicalJSON.jsonValue(of: body)
            case .opened(let body): try CanonicalJSON.jsonValue(of: body)
            }
        }

        /// Reads an event back from its type and body; `nil` for an unknown type.
        public init?(type: String, body: JSONValue) throws {
            switch type {
            case "DeliveryRecorded": self = .delivered(try CanonicalJSON.decode(Delivered.self, from: body))
            case "DeliveryOpened": self = .opened(try CanonicalJSON.decode(Opened.self, from: body))
            default: return nil
            }
        }

        /// Whether the event belongs in `stream`: its request is well formed and names it.
        /// A receipt that does not is ignored by every node alike.
        public func belongs(in stream: String) -> Bool {
            request.isWellFormed && request.stream == stream
        }
    }

    /// The events that record what `existing` receipt events do not yet: delivery, then the
    /// opening by `staff` when given. Empty when there is nothing left to record.
    public static func events(for request: Request, recordedSoFar existing: Int64, openedBy staff: String?) -> [Event] {
        var events: [Event] = []
        if existing < 1 { events.append(.delivered(Delivered(request: request))) }
        if let staff, existing < 2 { events.append(.opened(Opened(request: request, staff: staff))) }
        return events
    }
}

extension Delivery.Event: DomainEvent {}

import CaseDomain
import EventLog
import Logging
import PostgresNIO

/// The case view's proof of delivery: one row per request sent to a centre (each
/// transfer, each investigation request) and what its receipt says. A request and its
/// receipt may be projected in either order (they come from different nodes); a receipt
/// counts only when its stream's centre is the request's recipient, so one written by any
/// other node changes nothing anyone sees.
enum DeliveryProjection {
    /// Folds the batch's requests, answers and receipts into the rows of their records.
    static func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        var records: Set<String> = []
        for event in batch {
            switch event.domain {
            case .caseEvent(_, let caseEvent) where caseEvent.concernsTransfer: records.insert(event.envelope.streamId)
            case .investigation(_, let request) where request.concernsDelivery: records.insert(event.envelope.streamId)
            case .delivery(let stream, let receipt) where receipt.belongs(in: stream): records.insert(receipt.request.record)
            default: break
            }
        }
        guard !records.isEmpty else { return }
        // Rows of a record whose first event is in the batch may exist all the same: its
        // receipt can arrive from the recipient's node before the record from the sender's.
        var rows = try await DeliveryRows.read(records: records, on: connection, logger: logger)
        for event in batch {
            rows.apply(event)
        }
        try await rows.write(on: connection, logger: logger)
    }
}

/// One request sent to a centre and its receipt, as the case view holds them.
public struct DeliveryRecord: Sendable, Hashable {
    /// The stream of the record sent (`case-…`, `investigation-…`).
    public internal(set) var record: String
    /// The stream version of the event that sent it.
    public internal(set) var requestVersion: Int64
    public internal(set) var kind: Delivery.Kind
    /// The case, once the request is projected.
    public internal(set) var caseID: String?
    /// The sending centre; `nil` while only the receipt is projected.
    public internal(set) var sender: String?
    public internal(set) var recipient: String
    public internal(set) var requestedAt: Timestamp?
    /// The recipient answered (accepted, returned, declined, reported) or the sender cancelled.
    public internal(set) var answered = false
    /// When the recipient's node recorded the request's arrival, and that event's hash.
    public internal(set) var deliveredAt: Timestamp?
    public internal(set) var deliveredHash: String?
    /// When a staff member of the recipient first opened it, who, and that event's hash.
    public internal(set) var openedAt: Timestamp?
    public internal(set) var openedBy: String?
    public internal(set) var openedHash: String?

    /// The request as its receipt names it.
    public var request: Delivery.Request? {
        CentreID(rawValue: recipient).map { Delivery.Request(record: record, requestVersion: requestVersion, kind: kind, centre: $0) }
    }
}

/// The rows of a batch's records, read once and written back once.
struct DeliveryRows {
    /// A request's row, and apart from it the rows of receipts that name another centre as
    /// its recipient: those are never shown, and cannot hide the recipient's, whatever the order.
    struct Key: Hashable { var record: String; var version: Int64; var recipient: String }
    private(set) var rows: [Key: DeliveryRecord] = [:]
    private var touched: Set<Key> = []

    /// The columns every read of the table selects, times in milliseconds, as ``Row``.
    static let columns = """
        record, request_version, kind, case_id, sender, recipient, (extract(epoch FROM requested_at) * 1000)::bigint, answered, \
        (extract(epoch FROM delivered_at) * 1000)::bigint, delivered_hash, (extract(epoch FROM opened_at) * 1000)::bigint, opened_by, opened_hash
        """
    typealias Row = (String, Int64, String, String?, String?, String, Int64?, Bool, Int64?, String?, Int64?, String?, String?)

    /// A row as ``columns`` select it; `nil` for a kind this version does not know.
    static func record(_ row: Row) -> DeliveryRecord? {
        let (record, version, kind, caseID, sender, recipient, requested, answered, delivered, deliveredHash, opened, openedBy, openedHash) = row
        guard let kind = Delivery.Kind(rawValue: kind) else { return nil }
        return DeliveryRecord(
            record: record, requestVersion: version, kind: kind, caseID: caseID, sender: sender, recipient: recipient,
            requestedAt: requested.map(Timestamp.init(millisecondsSinceEpoch:)), answered: answered,
            deliveredAt: delivered.map(Timestamp.init(millisecondsSinceEpoch:)), deliveredHash: deliveredHash,
            openedAt: opened.map(Timestamp.init(millisecondsSinceEpoch:)), openedBy: openedBy, openedHash: openedHash)
    }

    static func read(records: Set<String>, on connection: PostgresConnection, logger: Logger) async throws -> DeliveryRows {
        var result = DeliveryRows()
        guard !records.isEmpty else { return result }
        let rows = try await connection.query("SELECT \(unescaped: columns) FROM deliveries WHERE record = ANY(\(records.sorted()))", logger: logger)
        for try await row in rows.decode(Row.self) {
            if let record = record(row) {
                result.rows[Key(record: record.record, version: record.requestVersion, recipient: record.recipient)] = record
            }
        }
        return result
    }

    /// Folds one event into the rows it concerns.
    mutating func apply(_ event: ProjectedEvent) {
        let envelope = event.envelope
        let stream = envelope.streamId
        switch event.domain {
        case .caseEvent(let caseID, .transferRequested(let transfer))?:
            request(Key(record: stream, version: envelope.streamVersion, recipient: transfer.toCentre.rawValue), kind: .transfer, caseID: caseID,
                    sender: transfer.fromCentre, at: envelope.recordedAt)
        case .caseEvent(_, let caseEvent)? where caseEvent.concernsTransfer:
            answerAll(of: stream)
        case .investigation(_, .requested(let request))?:
            self.request(Key(record: stream, version: envelope.streamVersion, recipient: request.toCentre.rawValue), kind: .investigation,
                         caseID: StreamID.caseID(ofStream: request.caseStream), sender: request.fromCentre, at: envelope.recordedAt)
        case .investigation(_, let investigationEvent)? where investigationEvent.concernsDelivery:
            answerAll(of: stream)
        case .delivery(let stream, let receipt)? where receipt.belongs(in: stream):
            let request = receipt.request
            let key = Key(record: request.record, version: request.requestVersion, recipient: request.centre.rawValue)
            var row = rows[key] ?? DeliveryRecord(record: request.record, requestVersion: request.requestVersion, kind: request.kind,
                                                  recipient: request.centre.rawValue)
            // The first of each stands; a receipt naming a centre the request was not sent to
            // keeps a row of its own, which no request ever completes.
            switch receipt {
            case .delivered:
                if row.deliveredAt == nil { (row.deliveredAt, row.deliveredHash) = (envelope.recordedAt, event.recorded.signed.hash.hex) }
            case .opened(let opened):
                // An opening after the request was answered opens nothing (the recipient's node
                // wrote both, so every node projects them in the same order).
                if row.openedAt == nil, !row.answered { (row.openedAt, row.openedBy, row.openedHash) = (envelope.recordedAt, opened.staff, event.recorded.signed.hash.hex) }
            }
            rows[key] = row
            touched.insert(key)
        default:
            break
        }
    }

    private mutating func request(_ key: Key, kind: Delivery.Kind, caseID: String?, sender: CentreID, at time: Timestamp) {
        var row = rows[key] ?? DeliveryRecord(record: key.record, requestVersion: key.version, kind: kind, recipient: key.recipient)
        row.kind = kind
        row.caseID = caseID
        row.sender = sender.rawValue
        row.requestedAt = time
        rows[key] = row
        touched.insert(key)
    }

    /// A request answered (accepted, returned, cancelled, declined, reported): nothing is
    /// delivered or first opened after it.
    private mutating func answerAll(of record: String) {
        for (key, row) in rows where key.record == record && !row.answered && row.requestedAt != nil {
            rows[key]?.answered = true
            touched.insert(key)
        }
    }

    func write(on connection: PostgresConnection, logger: Logger) async throws {
        let written = touched.compactMap { rows[$0] }.sorted { ($0.record, $0.requestVersion, $0.recipient) < ($1.record, $1.requestVersion, $1.recipient) }
        guard !written.isEmpty else { return }
        func millis(_ time: Timestamp?) -> Int64 { time?.millisecondsSinceEpoch ?? Self.noTime }
        _ = try await connection.query("""
            INSERT INTO deliveries (record, request_version, kind, case_id, sender, recipient, requested_at, answered,
                                    delivered_at, delivered_hash, opened_at, opened_by, opened_hash)
            SELECT record, version, kind, nullif(case_id, ''), nullif(sender, ''), recipient,
                   CASE WHEN requested = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + requested * interval '1 millisecond' END, answered,
                   CASE WHEN delivered = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + delivered * interval '1 millisecond' END,
                   nullif(delivered_hash, ''),
                   CASE WHEN opened = \(Self.noTime) THEN NULL ELSE 'epoch'::timestamptz + opened * interval '1 millisecond' END,
                   nullif(opened_by, ''), nullif(opened_hash, '')
              FROM unnest(\(written.map(\.record)), \(written.map(\.requestVersion)), \(written.map(\.kind.rawValue)),
                          \(written.map { $0.caseID ?? "" }), \(written.map { $0.sender ?? "" }), \(written.map(\.recipient)),
                          \(written.map { millis($0.requestedAt) }), \(written.map(\.answered)), \(written.map { millis($0.deliveredAt) }),
                          \(written.map { $0.deliveredHash ?? "" }), \(written.map { millis($0.openedAt) }), \(written.map { $0.openedBy ?? "" }),
                          \(written.map { $0.openedHash ?? "" }))
                   AS d(record, version, kind, case_id, sender, recipient, requested, answered, delivered, delivered_hash, opened, opened_by, opened_hash)
            ON CONFLICT (record, request_version, recipient) DO UPDATE SET kind = excluded.kind, case_id = excluded.case_id, sender = excluded.sender,
                recipient = excluded.recipient, requested_at = excluded.requested_at, answered = excluded.answered,
                delivered_at = excluded.delivered_at, delivered_hash = excluded.delivered_hash, opened_at = excluded.opened_at,
                opened_by = excluded.opened_by, opened_hash = excluded.opened_hash
            """, logger: logger)
    }

    /// A time column's value for "none" in the arrays bound above.
    private static let noTime = Int64.min
}

extension CaseEvent {
    /// A transfer's request or answer: what the delivery rows follow of a case.
    var concernsTransfer: Bool {
        switch self {
        case .transferRequested, .transferAccepted, .transferReturned, .transferCancelled: true
        default: false
        }
    }
}

extension Investigation.Event {
    /// A request, or the requested centre's first answer to it.
    var concernsDelivery: Bool {
        switch self {
        case .requested, .accepted, .declined, .reported: true
        default: false
        }
    }
}

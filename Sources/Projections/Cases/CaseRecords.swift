import CaseDomain
import EventLog
import Logging
import PostgresNIO

/// Reads the case view projection: a case with its investigation requests, and its
/// timeline (the log's events of the streams the projection names).
///
/// Before reading, it brings the projection up to the log's head as it stands when the
/// read begins (through the same checkpointed ``Projector`` the node runs), so a staff
/// member always sees the commands they have just made; when the node's projector is
/// already there, that costs two indexed lookups. A view further behind than
/// `maximumCatchUp` events (a node whose projector was off, a restored database) is not
/// caught up inside a request: the read fails with ``ProjectionBehind``. A case the
/// projection parked an event of (its own, or one of its requests') is not shown as the
/// projection holds it, which lacks that event: the read fails with ``CaseViewParked``.
public struct CaseRecords: Sendable {
    private let client: PostgresClient
    private let projector: Projector
    private let reader: EventReader
    private let maximumCatchUp: Int64
    private let logger: Logger

    public init(client: PostgresClient, maximumCatchUp: Int64 = 5000, logger: Logger = Logger(label: "tongban.case-records")) {
        self.client = client
        self.projector = Projector(projection: CaseViewProjection(), client: client, logger: logger)
        self.reader = EventReader(client: client, logger: logger)
        self.maximumCatchUp = maximumCatchUp
        self.logger = logger
    }

    func catchUp() async throws {
        try await projector.catchUpForRead(limit: maximumCatchUp)
    }

    /// The case and its investigation requests (in the order they were made); `nil` if no
    /// event of it is in this node's log.
    public func record(_ caseID: String) async throws -> CaseRecord? {
        try await catchUp()
        return try await readUnparked(caseID)
    }

    /// The case and its timeline (every event of the case and of its investigation requests,
    /// in this node's log order), brought up to date once.
    public func recordWithTimeline(_ caseID: String) async throws -> (CaseRecord, [RecordedEvent])? {
        try await catchUp()
        guard let record = try await readUnparked(caseID) else { return nil }
        return (record, try await readTimeline(record))
    }

    /// The cases numbered `number` (a case number, such as `LICANG-2026-000001`) that
    /// `centre` takes part in, at most 10: the search of a centre's own records.
    public func cases(numbered number: String, takingPart centre: CentreID) async throws -> [String] {
        try await catchUp()
        let rows = try await client.query("""
            SELECT case_id FROM projections.case_views
             WHERE number = \(number) AND \(centre.rawValue) = ANY(participants) ORDER BY case_id LIMIT 10
            """, logger: logger)
        var found: [String] = []
        for try await id in rows.decode(String.self) { found.append(id) }
        return found
    }

    /// The case as ``read(_:)`` gives it, unless the projection parked an event of it.
    private func readUnparked(_ caseID: String) async throws -> CaseRecord? {
        let record = try await read(caseID)
        let streams = [StreamID.stream(.caseFile, id: caseID)] + (record?.investigations.map { StreamID.stream(.investigation, id: $0.investigationID) } ?? [])
        let rows = try await client.query("""
            SELECT \(unescaped: ParkedEvents.columns) FROM projections.parked_events
             WHERE projection = \(projector.projections[0].name) AND (stream_id = ANY(\(streams)) OR case_stream = \(streams[0]))
             ORDER BY position LIMIT 1
            """, logger: logger)
        if let parked = try await ParkedEvents.decode(rows).first {
            throw CaseViewParked(caseID: caseID, record: record, parked: parked)
        }
        return record
    }

    private func read(_ caseID: String) async throws -> CaseRecord? {
        var found: CaseRecord?
        for (id, state, application, participants, applicantIndex, adverseIndex) in try await client.rows(of: CaseViewRow(caseID: caseID), logger: logger) {
            found = try CaseViewTables.caseRecord(id: id, state: state, application: application, participants: participants,
                                                  applicantIndex: applicantIndex, adverseIndex: adverseIndex)
        }
        guard var record = found else { return nil }
        for (id, position, state) in try await client.rows(of: CaseInvestigationRows(caseID: caseID), logger: logger) {
            record.investigations.append(.init(investigationID: id, caseID: caseID, firstPosition: position,
                                               state: try CaseViewTables.decode(Investigation.State.self, state)))
        }
        for row in try await client.rows(of: CaseDeliveryRows(caseID: caseID), logger: logger) {
            if let delivery = DeliveryRows.record(row) { record.deliveries.append(delivery) }
        }
        return record
    }

    /// The events of the case's stream, of its requests' streams and of the receipts of
    /// what was sent to a centre.
    private func readTimeline(_ record: CaseRecord) async throws -> [RecordedEvent] {
        try await reader.events(ofStreams: [StreamID.stream(.caseFile, id: record.caseID)]
                                                  + record.investigations.map { StreamID.stream(.investigation, id: $0.investigationID) }
                                                  + record.deliveries.compactMap { $0.deliveredAt == nil ? nil : $0.request?.stream })
    }
}

/// A case the case view cannot show as it holds it: the projection parked an event of the
/// case or of one of its requests (the first is named), so its row lacks that event and
/// every later one of the stream.
public struct CaseViewParked: Error, Sendable, CustomStringConvertible {
    public let caseID: String
    /// The case as far as the projection applied it (`nil` if its first event is parked),
    /// for deciding who may be told.
    public let record: CaseRecord?
    public let parked: ParkedEvent

    public var description: String {
        "case \(caseID) cannot be shown: the \(parked.projection) projection parked event \(parked.eventID.uuidString.lowercased()) "
            + "(\(parked.type)) at log position \(parked.position), and the case's later events wait behind it; an operator lists it "
            + "with `tongban projections parked` and applies it with `tongban projections retry` once its cause is fixed"
    }
}

/// A case's row of the case view: read on every case view, so a prepared statement (parsed
/// and planned once per connection).
struct CaseViewRow: PostgresPreparedStatement {
    static let sql = """
        SELECT case_id, state::text, application::text, participants, applicant_index, adverse_index FROM projections.case_views WHERE case_id = $1
        """
    typealias Row = (String, String, String?, [String], String?, String?)
    let caseID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(caseID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// A case's investigation requests in the case view, in the order they were made.
struct CaseInvestigationRows: PostgresPreparedStatement {
    static let sql = """
        SELECT investigation_id, first_position, state::text FROM projections.case_investigations WHERE case_id = $1 ORDER BY first_position
        """
    typealias Row = (String, Int64, String)
    let caseID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(caseID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

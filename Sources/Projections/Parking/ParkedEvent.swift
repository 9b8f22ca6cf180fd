import Foundation
import Logging
import PostgresNIO

/// An event a projection skipped because it could not apply it (invariant 10): kept in
/// `parked_events`, counted in `/metrics`, listed by `tongban projections parked`, applied
/// by `tongban projections retry` once its cause is gone.
public struct ParkedEvent: Sendable, Hashable, Encodable {
    /// The projection that parked it.
    public let projection: String
    /// Its global position in this node's log.
    public let position: Int64
    public let eventID: UUID
    public let streamID: String
    /// The case an investigation request names (its own stream is the request's).
    public let caseStream: String?
    public let type: String
    /// Why it is parked: what refused it, or the earlier parked event it waits behind.
    public let reason: String
    /// The position of the earlier parked event of its stream (or of the case a request
    /// names) that it waits behind, when it was not tried itself.
    public let behind: Int64?

    private enum CodingKeys: String, CodingKey {
        case projection, position, eventID = "eventId", streamID = "streamId", caseStream, type, reason, behind
    }

    /// As the envelope spells its fields: `eventId` in lowercase, `streamId`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projection, forKey: .projection)
        try container.encode(position, forKey: .position)
        try container.encode(eventID.uuidString.lowercased(), forKey: .eventID)
        try container.encode(streamID, forKey: .streamID)
        try container.encodeIfPresent(caseStream, forKey: .caseStream)
        try container.encode(type, forKey: .type)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(behind, forKey: .behind)
    }
}

/// Reads the parked events of a projection schema (the live one by default).
public struct ParkedEvents: Sendable {
    private let client: PostgresClient
    private let schema: ProjectionSchema
    private let logger: Logger

    public init(client: PostgresClient, schema: ProjectionSchema = .live, logger: Logger = Logger(label: "tongban.parked")) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    /// The parked events of `projection` (of every projection when `nil`), by projection,
    /// then in log order.
    public func list(projection: String? = nil) async throws -> [ParkedEvent] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM \(schema.name).parked_events
             WHERE $1 = '' OR projection = $1 ORDER BY projection, position
            """, binds: PostgresBindings(text: projection ?? "")), logger: logger)
        return try await Self.decode(rows)
    }

    /// How many events each projection has parked, zero included for every projection
    /// with a checkpoint (a scrape sees a count fall back to 0 after a retry).
    public func counts() async throws -> [String: Int64] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT c.projection, count(p.position) FROM \(schema.name).checkpoints c
              LEFT JOIN \(schema.name).parked_events p USING (projection) GROUP BY c.projection
            """), logger: logger)
        var counts: [String: Int64] = [:]
        for try await (projection, count) in rows.decode((String, Int64).self) { counts[projection] = count }
        return counts
    }

    /// The selected columns, in ``decode(_:)``'s order.
    static let columns = "projection, position, event_id, stream_id, case_stream, type, reason, behind"

    static func decode(_ rows: PostgresRowSequence) async throws -> [ParkedEvent] {
        var parked: [ParkedEvent] = []
        for try await (projection, position, eventID, stream, caseStream, type, reason, behind)
            in rows.decode((String, Int64, UUID, String, String?, String, String, Int64?).self) {
            parked.append(ParkedEvent(projection: projection, position: position, eventID: eventID, streamID: stream,
                                      caseStream: caseStream, type: type, reason: reason, behind: behind))
        }
        return parked
    }
}

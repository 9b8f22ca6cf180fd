import EventLog
import Foundation
import Logging
import PostgresNIO

/// Applies a batch to one projection inside the transaction that moves its checkpoint, so
/// that no event stops it (invariant 10): an event it cannot apply is parked with why, in
/// the same transaction as the rows and the checkpoint.
///
/// The rule that keeps parking a function of the log (a rebuild parks the same events) and
/// lets a retry converge to what a rebuild gives: an event is parked when this node cannot
/// read it or the projection refuses it alone, and every later event of a stream with a
/// parked event (or a request naming a case with one) is parked behind it untried, since
/// folding a stream's later events without an earlier one would build the wrong state.
/// Events of other streams go on. Parking depends on each event alone, never on how the
/// log was cut into batches: a batch the projection refuses as a whole is rolled back and
/// applied again event by event.
struct ParkingApplier {
    let projection: any Projection
    let connection: PostgresConnection
    let logger: Logger

    /// Applies `events` (in log order) and parks those it cannot; returns how many it parked.
    /// With `oneByOne` false the events it may try are applied as one batch, and an event
    /// the projection refuses fails the whole call; with `oneByOne` true each is applied in
    /// a savepoint of its own, and one the projection refuses is parked.
    func apply(_ events: [BatchEvent], oneByOne: Bool) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        var blocked = try await parkedStreams(among: events)
        var parked: [ParkedEvent] = []
        var ready: [ProjectedEvent] = []
        func park(_ event: BatchEvent, _ reason: String, behind: Int64?) {
            let recorded = event.recorded
            parked.append(ParkedEvent(projection: projection.name, position: recorded.globalPosition, eventID: recorded.envelope.eventId,
                                      streamID: recorded.envelope.streamId, caseStream: event.caseStream, type: recorded.envelope.type,
                                      reason: reason, behind: behind))
            if blocked[recorded.envelope.streamId] == nil { blocked[recorded.envelope.streamId] = recorded.globalPosition }
        }
        for event in events {
            if let blocker = event.streamsWaitedOn.compactMap({ blocked[$0] }).min() {
                park(event, "behind parked event at position \(blocker)", behind: blocker)
                continue
            }
            switch event {
            case .unreadable(let unreadable):
                park(event, unreadable.reason, behind: nil)
            case .readable(let readable) where oneByOne:
                if let refusal = try await applyAlone(readable) { park(event, refusal, behind: nil) }
            case .readable(let readable):
                ready.append(readable)
            }
        }
        if !ready.isEmpty { try await projection.apply(ready, on: connection, logger: logger) }
        try await insert(parked)
        return parked.count
    }

    /// Applies one event in a savepoint; why the projection refused it (and nothing of it is
    /// kept), or `nil` once applied. Failures that are not the event's doing are thrown.
    private func applyAlone(_ event: ProjectedEvent) async throws -> String? {
        _ = try await connection.query("SAVEPOINT parking", logger: logger)
        do {
            try await projection.apply([event], on: connection, logger: logger)
            _ = try await connection.query("RELEASE SAVEPOINT parking", logger: logger)
            return nil
        } catch {
            guard let refusal = Parking.refusal(error) else { throw error }
            _ = try await connection.query("ROLLBACK TO SAVEPOINT parking", logger: logger)
            return refusal
        }
    }

    /// For each stream the events wait on that has parked events already, the position of
    /// its first.
    private func parkedStreams(among events: [BatchEvent]) async throws -> [String: Int64] {
        let streams = Array(Set(events.flatMap(\.streamsWaitedOn)))
        let rows = try await connection.query("""
            SELECT stream_id, min(position) FROM parked_events
             WHERE projection = \(projection.name) AND stream_id = ANY(\(streams)) GROUP BY stream_id
            """, logger: logger)
        var first: [String: Int64] = [:]
        for try await (stream, position) in rows.decode((String, Int64).self) { first[stream] = position }
        return first
    }

    /// Text PostgreSQL can store: a reason quotes what the event holds, and an event
    /// written before the value rules may hold U+0000 (which is why it is parked).
    static func storable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(1000) { scalars.append(scalar.value == 0 ? "\u{FFFD}" : scalar) }
        return String(scalars)
    }

    private func insert(_ parked: [ParkedEvent]) async throws {
        guard !parked.isEmpty else { return }
        _ = try await connection.query("""
            INSERT INTO parked_events (projection, position, event_id, stream_id, case_stream, type, reason, behind)
            SELECT \(projection.name), position, event_id, stream_id, nullif(case_stream, ''), type, reason, nullif(behind, 0)
              FROM unnest(\(parked.map(\.position)), \(parked.map(\.eventID)), \(parked.map(\.streamID)),
                          \(parked.map { $0.caseStream ?? "" }), \(parked.map { Self.storable($0.type) }), \(parked.map { Self.storable($0.reason) }),
                          \(parked.map { $0.behind ?? 0 }))
                   AS p(position, event_id, stream_id, case_stream, type, reason, behind)
            """, logger: logger)
        for event in parked where event.behind == nil {
            logger.notice("parked an event the projection cannot apply; see tongban projections parked", metadata: [
                "projection": "\(event.projection)", "position": "\(event.position)", "event": "\(event.eventID.uuidString.lowercased())",
            ])
        }
    }
}

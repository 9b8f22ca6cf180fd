import EventLog
import Foundation
import PostgresNIO

extension Projector {
    /// What a retry of one projection's parked events did.
    public struct RetryOutcome: Sendable, Hashable {
        public let projection: String
        /// Parked events that now applied and were unparked.
        public let applied: Int
        /// Parked events that are parked still (refused again, or behind one that was).
        public let stillParked: Int
    }

    /// Applies each projection's parked events again, in log order, after their cause is
    /// fixed (the node upgraded to read a new event type, a refused value allowed): those
    /// that now apply are unparked, the others stay parked with today's reason.
    ///
    /// Every later event of a stream with a parked event is parked behind it, so a stream's
    /// parked events are the tail of its history and applying them in order now folds it as
    /// a rebuild would; events of other streams that were applied meanwhile do not depend
    /// on them. Each projection is retried in one transaction that holds its checkpoint, so
    /// the running projector waits rather than interleaves.
    public func retryParked() async throws -> [RetryOutcome] {
        var outcomes: [RetryOutcome] = []
        for projection in projections {
            let logger = logger
            let reader = reader
            outcomes.append(try await withCheckpoint(of: projection) { connection, _ in
                let rows = try await connection.query("""
                    SELECT \(unescaped: ParkedEvents.columns) FROM parked_events WHERE projection = \(projection.name) ORDER BY position
                    """, logger: logger)
                let parked = try await ParkedEvents.decode(rows)
                guard !parked.isEmpty else { return RetryOutcome(projection: projection.name, applied: 0, stillParked: 0) }
                let positions = Set(parked.map(\.position))
                // The log is immutable: its events can be read beside this transaction.
                let events = try await reader.events(ofStreams: Array(Set(parked.map(\.streamID))))
                    .filter { positions.contains($0.globalPosition) }
                    .map(BatchEvent.init)
                guard events.count == parked.count else { throw ParkedEventMissing(projection: projection.name, parked: parked.count, found: events.count) }
                _ = try await connection.query("DELETE FROM parked_events WHERE projection = \(projection.name)", logger: logger)
                let stillParked = try await ParkingApplier(projection: projection, connection: connection, logger: logger).apply(events, oneByOne: true)
                return RetryOutcome(projection: projection.name, applied: parked.count - stillParked, stillParked: stillParked)
            })
        }
        return outcomes
    }
}

/// Parked events that the log no longer holds as accepted events of their streams: the
/// parked table does not belong to this log (a database restored under it).
public struct ParkedEventMissing: Error, CustomStringConvertible {
    public let projection: String
    public let parked: Int
    public let found: Int

    public var description: String {
        "the \(projection) projection has \(parked) parked events but the log holds \(found) of them: rebuild it with tongban replay --swap"
    }
}

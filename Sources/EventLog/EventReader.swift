import CaseDomain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Reads a node's log: one stream, or everything after a global position in bounded batches.
public struct EventReader: Sendable {
    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.reader")) {
        self.client = client
        self.logger = logger
    }

    /// The accepted events of `stream` from `version` on, in stream order (quarantined events
    /// are not part of a stream).
    public func readStream(_ stream: String, fromVersion version: Int64 = 1) async throws -> [RecordedEvent] {
        try Self.decode(try await client.rows(of: PreparedReads.StreamEvents(stream: stream, fromVersion: version), logger: logger))
    }

    /// The event whose hash is `hash`, accepted or quarantined; `nil` if this node holds none.
    public func event(withHash hash: EventHash) async throws -> RecordedEvent? {
        try Self.decode(try await client.rows(of: PreparedReads.EventByHash(hash: hash), logger: logger)).first
    }

    /// At most `limit` events after `position`, in global order.
    public func readBatch(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        try Self.decode(try await client.rows(of: PreparedReads.Batch(after: position, limit: Int64(limit)), logger: logger))
    }

    /// The accepted events of `streams`, in global order (a case's timeline: its stream and
    /// its investigation requests').
    public func events(ofStreams streams: [String]) async throws -> [RecordedEvent] {
        try Self.decode(try await client.rows(of: PreparedReads.EventsOfStreams(streams: streams), logger: logger))
    }

    /// The first event of each of `streams` (a case's application), where the log holds one.
    public func firstEvents(ofStreams streams: [String]) async throws -> [RecordedEvent] {
        try Self.decode(try await client.rows(of: PreparedReads.FirstEvents(streams: streams), logger: logger))
    }

    /// Every event after `position` as it stands now, fetched `batchSize` at a time, so
    /// memory stays constant however long the log is.
    public func readAll(after position: Int64 = 0, batchSize: Int = 1000) -> LogSequence {
        LogSequence(reader: self, start: position, batchSize: batchSize, waitForMore: nil)
    }

    /// Every event after `position`, then each new one as it commits: never ends until its
    /// task is cancelled. `notifier` wakes it on commits; it also polls every `pollInterval`.
    public func follow(after position: Int64 = 0, batchSize: Int = 1000, notifier: LogNotifier, pollInterval: Duration = .seconds(1)) -> LogSequence {
        LogSequence(reader: self, start: position, batchSize: batchSize, waitForMore: { known in
            await notifier.waitForEvents(after: known, timeout: pollInterval)
        })
    }

    /// The version `stream` is at: its number of accepted events (0 when it does not exist).
    public func streamVersion(_ stream: String) async throws -> Int64 {
        try await client.rows(of: PreparedReads.StreamVersion(stream: stream), logger: logger).first ?? 0
    }

    /// The streams whose first event is of `type` with the top-level body field `field`
    /// equal to `value`, oldest first: the investigations of a case, the certificates of
    /// an ID number. (A scan of that type's first events; the projections index it.)
    public func streams(startedBy type: String, where field: String, equals value: String) async throws -> [String] {
        let rows = try await client.query("""
            SELECT stream_id FROM events
             WHERE type = \(type) AND stream_version = 1 AND quarantine_reason IS NULL
               AND convert_from(envelope, 'UTF8')::jsonb -> 'body' ->> \(field) = \(value)
             ORDER BY global_position
            """, logger: logger)
        var streams: [String] = []
        for try await stream in rows.decode(String.self) { streams.append(stream) }
        return streams
    }

    /// The position of the last event (in this node's order) recorded at or before `instant`:
    /// where the log stood then, for an audit "as of" a time.
    public func position(asOf instant: Timestamp) async throws -> Int64 {
        let rows = try await client.query("SELECT coalesce(max(global_position), 0) FROM events WHERE recorded_at <= \(instant.date)", logger: logger)
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }

    /// Per origin, the highest origin sequence this node holds. Imports keep each origin's
    /// chain gapless, so that is also the highest contiguous one: the node's version vector.
    public func versionVector() async throws -> [NodeID: Int64] {
        let rows = try await client.query("""
            \(unescaped: Self.originsHeldSQL)
            SELECT origin_node, (SELECT max(origin_seq) FROM events e WHERE e.origin_node = origins.origin_node)
              FROM origins WHERE origin_node IS NOT NULL
            """, logger: logger)
        var vector: [NodeID: Int64] = [:]
        for try await (origin, seq) in rows.decode((String, Int64).self) {
            if let node = NodeID(rawValue: origin) { vector[node] = seq }
        }
        return vector
    }

    /// The origins the log holds, one index probe each (a loose scan of the origin index,
    /// which PostgreSQL does not do by itself): `origins(origin_node)`, ending in a `NULL` row.
    private static let originsHeldSQL = """
        WITH RECURSIVE origins(origin_node) AS (
          (SELECT origin_node FROM events ORDER BY origin_node LIMIT 1)
          UNION ALL
          SELECT (SELECT e.origin_node FROM events e WHERE e.origin_node > origins.origin_node ORDER BY e.origin_node LIMIT 1)
            FROM origins WHERE origins.origin_node IS NOT NULL)
        """

    /// At most `limit` events a node with `vector` lacks, from every origin this node holds
    /// (quarantined ones too: they are links of their origin's chain), in this log's order.
    ///
    /// This log's order is causal: each origin's events come in origin order, and an event
    /// comes after every event its author held when writing it (the stream version it
    /// follows, say), so the caller can import the batch as it comes. The scan starts at the
    /// first event the caller lacks, found per origin through the origin index.
    public func events(missingFrom vector: [NodeID: Int64], limit: Int) async throws -> [RecordedEvent] {
        let origins = vector.keys.map(\.rawValue)
        let seqs = origins.map { vector[NodeID(rawValue: $0)!]! }
        let rows = try await client.query("""
            \(unescaped: Self.originsHeldSQL),
            known(origin, seq) AS (SELECT * FROM unnest(\(origins)::text[], \(seqs)::bigint[])),
            first_missing AS (
              SELECT min((SELECT e.global_position FROM events e
                           WHERE e.origin_node = origins.origin_node
                             AND e.origin_seq > coalesce((SELECT seq FROM known WHERE origin = origins.origin_node), 0)
                           ORDER BY e.origin_seq LIMIT 1)) AS position
                FROM origins WHERE origins.origin_node IS NOT NULL)
            SELECT e.envelope, e.hash, e.signature, e.global_position, e.received_at, e.quarantine_reason
              FROM events e LEFT JOIN known ON known.origin = e.origin_node
             WHERE e.global_position >= (SELECT position FROM first_missing)
               AND e.origin_seq > coalesce(known.seq, 0)
             ORDER BY e.global_position
             LIMIT \(limit)
            """, logger: logger)
        return try await Self.decode(rows)
    }

    /// How many imported events are held in quarantine.
    public func quarantineCount() async throws -> Int64 {
        let rows = try await client.query("SELECT count(*) FROM events WHERE quarantine_reason IS NOT NULL", logger: logger)
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }

    /// The highest global position in the log (0 when empty).
    public func headPosition() async throws -> Int64 {
        try await client.rows(of: PreparedReads.HeadPosition(), logger: logger).first ?? 0
    }

    /// Rows of `envelope, hash, signature, global_position, received_at, quarantine_reason` as events.
    public static func decode(_ rows: PostgresRowSequence) async throws -> [RecordedEvent] {
        var stored: [StoredEventRow] = []
        for try await row in rows.decode(StoredEventRow.self) { stored.append(row) }
        return try decode(stored)
    }

    /// Stored rows, decoded already into their columns, as events.
    static func decode(_ rows: [StoredEventRow]) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for (envelope, hash, signature, position, receivedAt, reason) in rows {
            guard let eventHash = EventHash(bytes: Array(buffer: hash)) else {
                throw StoredEventError(position: position, reason: "hash column is not 32 bytes")
            }
            let signed: SignedEvent
            do {
                signed = try SignedEvent(storedBytes: Array(buffer: envelope), hash: eventHash, signature: Array(buffer: signature))
            } catch {
                throw StoredEventError(position: position, reason: error.description)
            }
            events.append(RecordedEvent(signed: signed, globalPosition: position, receivedAt: Timestamp(receivedAt), quarantineReason: reason))
        }
        return events
    }
}

/// A stored row that cannot be read as an event (only an altered database produces one).
public struct StoredEventError: Error, CustomStringConvertible {
    public let position: Int64
    public let reason: String

    public var description: String { "event at global position \(position) is unreadable: \(reason)" }
}

/// The log after a position, read in batches; see ``EventReader/readAll(after:batchSize:)``
/// and ``EventReader/follow(after:batchSize:notifier:pollInterval:)``.
public struct LogSequence: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let reader: EventReader
    let start: Int64
    let batchSize: Int
    /// Waits for events after the given position; `nil` ends the sequence at the current head.
    let waitForMore: (@Sendable (Int64) async -> Void)?

    public func makeAsyncIterator() -> Iterator {
        Iterator(sequence: self, position: start)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let sequence: LogSequence
        var position: Int64
        var buffer: [RecordedEvent] = []
        var index = 0

        public mutating func next() async throws -> RecordedEvent? {
            while index == buffer.count {
                try Task.checkCancellation()
                buffer = try await sequence.reader.readBatch(after: position, limit: sequence.batchSize)
                index = 0
                if buffer.isEmpty {
                    guard let wait = sequence.waitForMore else { return nil }
                    await wait(position)
                }
            }
            let event = buffer[index]
            index += 1
            position = event.globalPosition
            return event
        }
    }
}

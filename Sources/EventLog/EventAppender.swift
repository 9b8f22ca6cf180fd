import CaseDomain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The one door into a node's log: local appends and imports from other origins.
///
/// Concurrent calls queue here and are written together, one transaction at a time
/// under the node's advisory lock (group commit). That makes `globalPosition` gapless in
/// commit order, even with several processes on one database, and lets many appends
/// share one commit. Every request is all-or-nothing on its own: a conflicting append or
/// a rejected import fails alone, the rest of its group commits.
public actor EventAppender {
    /// The advisory lock every writer of a node's events table takes for its transaction.
    static let nodeLockKey: Int64 = 0x746F_6E67_6261_6E01

    /// The channel a commit notifies with its last global position.
    public static let notificationChannel = "tongban_events"

    private enum Pending {
        case append(stream: String, expectedVersion: Int64, events: [NewEvent], reply: CheckedContinuation<AppendOutcome, any Error>)
        case importBatch(events: [SignedEvent], reply: CheckedContinuation<ImportOutcome, any Error>)

        var eventCount: Int {
            switch self {
            case .append(_, _, let events, _): events.count
            case .importBatch(let events, _): events.count
            }
        }
    }

    private let client: PostgresClient
    private let signingKey: NodeSigningKey
    private let keyring: OriginKeyring
    private let clock: NodeClock
    private let logger: Logger
    private let maximumEventsPerCommit: Int
    private var queue: [Pending] = []
    private var isDraining = false

    /// - Parameters:
    ///   - client: a running client connected as the service role.
    ///   - signingKey: this node's key; its node is the origin of every local append.
    ///   - keyring: the federation's public keys, for imports (this node's own included).
    ///   - maximumEventsPerCommit: a group commit stops taking requests past this many events
    ///     (a single larger request still commits alone).
    public init(
        client: PostgresClient, signingKey: NodeSigningKey, keyring: OriginKeyring,
        clock: NodeClock = .system, maximumEventsPerCommit: Int = 2000, logger: Logger = Logger(label: "tongban.appender")
    ) {
        self.client = client
        self.signingKey = signingKey
        self.keyring = keyring
        self.clock = clock
        self.maximumEventsPerCommit = maximumEventsPerCommit
        self.logger = logger
    }

    /// The node whose events this appender authors.
    public nonisolated var node: NodeID { signingKey.node }

    /// Appends `events` to `stream` if the stream is at `expectedVersion` (0: the stream must
    /// not exist yet). Returns once the events are committed.
    public func append(to stream: String, expectedVersion: Int64, events: [NewEvent]) async throws(AppendError) -> AppendOutcome {
        guard !stream.isEmpty else { throw .invalid("stream id is empty") }
        guard !events.isEmpty else { throw .invalid("no events to append to \(stream)") }
        guard expectedVersion >= 0 else { throw .invalid("expected version \(expectedVersion) is negative") }
        if let bad = events.first(where: { $0.type.isEmpty || $0.schemaVersion < 1 }) {
            throw .invalid("event type '\(bad.type)' schema version \(bad.schemaVersion): type must be non-empty and schema version at least 1")
        }
        do {
            return try await withCheckedThrowingContinuation { reply in
                enqueue(.append(stream: stream, expectedVersion: expectedVersion, events: events, reply: reply))
            }
        } catch let error as AppendError {
            throw error
        } catch {
            throw .database(String(reflecting: error))
        }
    }

    /// Imports events authored elsewhere, in origin order. The whole batch is rejected,
    /// and nothing written, if any event has a bad hash or signature, an unknown origin,
    /// a gap or a break in its origin's chain. Events already held are skipped.
    public func importEvents(_ events: [SignedEvent]) async throws(ImportError) -> ImportOutcome {
        guard !events.isEmpty else { return ImportOutcome() }
        do {
            return try await withCheckedThrowingContinuation { reply in
                enqueue(.importBatch(events: events, reply: reply))
            }
        } catch let error as ImportError {
            throw error
        } catch {
            throw .database(String(reflecting: error))
        }
    }

    private func enqueue(_ request: Pending) {
        queue.append(request)
        guard !isDraining else { return }
        isDraining = true
        Task { await self.drain() }
    }

    private func drain() async {
        while !queue.isEmpty {
            var taken = 1
            var eventCount = queue[0].eventCount
            while taken < queue.count, eventCount + queue[taken].eventCount <= maximumEventsPerCommit {
                eventCount += queue[taken].eventCount
                taken += 1
            }
            let group = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            await commit(group)
        }
        isDraining = false
    }

    /// Writes one group in one transaction and answers every request of it.
    private func commit(_ group: [Pending]) async {
        let replies: [@Sendable () -> Void]
        do {
            replies = try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.nodeLockKey))", logger: logger)
                var plan = try await loadPlan(for: group, on: connection)
                // Each request's answer, to be given once the group has committed.
                var replies: [@Sendable () -> Void] = []
                for request in group {
                    switch request {
                    case .append(let stream, let expectedVersion, let events, let continuation):
                        let result = Result { () throws(AppendError) in
                            try plan.planAppend(to: stream, expectedVersion: expectedVersion, events: events, key: signingKey, now: clock.now())
                        }
                        replies.append { continuation.resume(with: result) }
                    case .importBatch(let events, let continuation):
                        let result = Result { () throws(ImportError) in try plan.planImport(events, keyring: keyring) }
                        replies.append { continuation.resume(with: result) }
                    }
                }
                if !plan.rows.isEmpty {
                    try await insert(plan.rows, on: connection)
                }
                return replies
            }
        } catch {
            let failure = describePostgresError(error)
            logger.error("group commit failed", metadata: ["requests": "\(group.count)", "error": "\(failure)"])
            for request in group {
                switch request {
                case .append(_, _, _, let reply): reply.resume(throwing: AppendError.database(failure))
                case .importBatch(_, let reply): reply.resume(throwing: ImportError.database(failure))
                }
            }
            return
        }
        for reply in replies { reply() }
    }

    /// Reads, under the node lock, the heads the group's requests depend on.
    private func loadPlan(for group: [Pending], on connection: PostgresConnection) async throws -> CommitPlan {
        var origins: Set<String> = [signingKey.node.rawValue]
        var streams: Set<String> = []
        var importPositions: [(String, Int64)] = []
        for request in group {
            switch request {
            case .append(let stream, _, _, _):
                streams.insert(stream)
            case .importBatch(let events, _):
                for event in events {
                    origins.insert(event.envelope.originNode.rawValue)
                    streams.insert(event.envelope.streamId)
                    importPositions.append((event.envelope.originNode.rawValue, event.envelope.originSeq))
                }
            }
        }
        let heads = try await connection.query("""
            SELECT 'global', NULL::text, (SELECT coalesce(max(global_position), 0) FROM events), NULL::bytea
            UNION ALL
            SELECT 'origin', o, head.origin_seq, head.hash
              FROM unnest(\(Array(origins))::text[]) AS o
              LEFT JOIN LATERAL (SELECT origin_seq, hash FROM events WHERE origin_node = o
                                 ORDER BY origin_seq DESC LIMIT 1) AS head ON true
            UNION ALL
            SELECT 'stream', s, (SELECT max(stream_version) FROM events
                                  WHERE stream_id = s AND quarantine_reason IS NULL), NULL::bytea
              FROM unnest(\(Array(streams))::text[]) AS s
            """, logger: logger)
        var globalHead: Int64 = 0
        var originHeads: [NodeID: OriginHead] = [:]
        var streamVersions: [String: Int64] = [:]
        for try await (kind, key, number, hash) in heads.decode((String, String?, Int64?, ByteBuffer?).self) {
            switch kind {
            case "global":
                globalHead = number ?? 0
            case "origin":
                if let key, let node = NodeID(rawValue: key), let number, let hash, let eventHash = EventHash(bytes: Array(buffer: hash)) {
                    originHeads[node] = OriginHead(seq: number, hash: eventHash)
                }
            default:
                if let key, let number { streamVersions[key] = number }
            }
        }
        var held: [OriginPosition: EventHash] = [:]
        if !importPositions.isEmpty {
            let rows = try await connection.query("""
                SELECT e.origin_node, e.origin_seq, e.hash
                  FROM unnest(\(importPositions.map(\.0))::text[], \(importPositions.map(\.1))::bigint[]) AS k(o, s)
                  JOIN events e ON e.origin_node = k.o AND e.origin_seq = k.s
                """, logger: logger)
            for try await (origin, seq, hash) in rows.decode((String, Int64, ByteBuffer).self) {
                if let node = NodeID(rawValue: origin), let eventHash = EventHash(bytes: Array(buffer: hash)) {
                    held[OriginPosition(origin: node, seq: seq)] = eventHash
                }
            }
        }
        return CommitPlan(globalHead: globalHead, originHeads: originHeads, streamVersions: streamVersions, heldHashes: held)
    }

    /// Inserts the planned rows in one statement and notifies readers (delivered at commit).
    private func insert(_ rows: [PlannedRow], on connection: PostgresConnection) async throws {
        let events = rows.map(\.event)
        let envelopes = events.map(\.envelope)
        let lastPosition = rows.map(\.globalPosition).max() ?? 0
        _ = try await connection.query("""
            WITH inserted AS (
              INSERT INTO events (global_position, event_id, origin_node, origin_seq, stream_id, stream_version,
                                  type, schema_version, recorded_at, actor_centre, actor_staff,
                                  envelope, prev_hash, hash, signature, quarantine_reason)
              SELECT p, id, o, seq, s, v, t, sv, ra, NULLIF(ac, ''), st, env, ph, h, sig, NULLIF(q, '')
                FROM unnest(\(rows.map(\.globalPosition))::bigint[], \(envelopes.map(\.eventId))::uuid[],
                            \(envelopes.map(\.originNode.rawValue))::text[], \(envelopes.map(\.originSeq))::bigint[],
                            \(envelopes.map(\.streamId))::text[], \(envelopes.map(\.streamVersion))::bigint[],
                            \(envelopes.map(\.type))::text[], \(envelopes.map(\.schemaVersion))::int[],
                            \(envelopes.map(\.recordedAt.date))::timestamptz[],
                            \(envelopes.map { $0.actor.centre?.rawValue ?? "" })::text[], \(envelopes.map(\.actor.staff))::text[],
                            \(events.map { ByteBuffer(bytes: $0.canonicalBytes) })::bytea[],
                            \(envelopes.map { ByteBuffer(bytes: $0.prevHash.bytes) })::bytea[],
                            \(events.map { ByteBuffer(bytes: $0.hash.bytes) })::bytea[],
                            \(events.map { ByteBuffer(bytes: $0.signature) })::bytea[],
                            \(rows.map { $0.quarantineReason ?? "" })::text[])
                     AS r(p, id, o, seq, s, v, t, sv, ra, ac, st, env, ph, h, sig, q)
              RETURNING 1)
            SELECT pg_notify(\(Self.notificationChannel), \(String(lastPosition))), (SELECT count(*) FROM inserted)
            """, logger: logger)
    }
}

import CaseDomain
import Foundation
import NIOCore
import PostgresNIO

/// What a group commit reads before it plans: the heads the cache lacks, and for imports
/// what the log already holds of their origins and streams.
extension EventAppender {
    /// Reads the heads the group needs and the cache lacks; and for the imports, the hashes
    /// already held at their origin positions, which of their event ids the log holds, and
    /// their streams' highest versions, quarantined events included.
    func loadMissingHeads(for group: [Pending], on connection: PostgresConnection) async throws
        -> ([OriginPosition: EventHash], Set<UUID>, [String: Int64]) {
        var origins: Set<NodeID> = [signingKey.node]
        var streams: Set<String> = []
        var importPositions: [(String, Int64)] = []
        var importIDs: [UUID] = []
        var importStreams: Set<String> = []
        for request in group {
            switch request {
            case .append(let appends, _):
                streams.formUnion(appends.map(\.stream))
            case .importBatch(let events, _, _, _):
                for event in events {
                    importIDs.append(event.envelope.eventId)
                    importStreams.insert(event.envelope.streamId)
                    origins.insert(event.envelope.originNode)
                    streams.insert(event.envelope.streamId)
                    importPositions.append((event.envelope.originNode.rawValue, event.envelope.originSeq))
                }
            }
        }
        let missingOrigins = origins.filter { heads.originHeads[$0] == nil }.map(\.rawValue)
        let missingStreams = streams.filter { heads.streamVersions[$0] == nil }
        if heads.globalHead == nil || !missingOrigins.isEmpty || !missingStreams.isEmpty {
            let rows = try await connection.query("""
                SELECT 'global', NULL::text, (SELECT coalesce(max(global_position), 0) FROM events), NULL::bytea
                UNION ALL
                SELECT 'origin', o, coalesce(head.origin_seq, 0), head.hash
                  FROM unnest(\(missingOrigins)::text[]) AS o
                  LEFT JOIN LATERAL (SELECT origin_seq, hash FROM events WHERE origin_node = o
                                     ORDER BY origin_seq DESC LIMIT 1) AS head ON true
                UNION ALL
                SELECT 'stream', s, coalesce((SELECT max(stream_version) FROM events
                                               WHERE stream_id = s AND quarantine_reason IS NULL), 0), NULL::bytea
                  FROM unnest(\(Array(missingStreams))::text[]) AS s
                """, logger: logger)
            for try await (kind, key, number, hash) in rows.decode((String, String?, Int64, ByteBuffer?).self) {
                switch kind {
                case "global":
                    heads.globalHead = number
                case "origin":
                    guard let key, let node = NodeID(rawValue: key) else { continue }
                    if let hash, let eventHash = EventHash(bytes: Array(buffer: hash)) {
                        heads.originHeads[node] = OriginHead(seq: number, hash: eventHash)
                    } else {
                        heads.originHeads[node] = OriginHead.empty
                    }
                default:
                    if let key { heads.streamVersions[key] = number }
                }
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
        var taken: Set<UUID> = []
        if !importIDs.isEmpty {
            let rows = try await connection.query("SELECT event_id FROM events WHERE event_id = ANY(\(importIDs)::uuid[])", logger: logger)
            for try await id in rows.decode(UUID.self) { taken.insert(id) }
        }
        var streamVersions: [String: Int64] = [:]
        if !importStreams.isEmpty {
            let rows = try await connection.query("""
                SELECT s, (SELECT max(stream_version) FROM events WHERE stream_id = s) FROM unnest(\(Array(importStreams))::text[]) AS s
                """, logger: logger)
            for try await (stream, version) in rows.decode((String, Int64?).self) { streamVersions[stream] = version ?? 0 }
        }
        return (held, taken, streamVersions)
    }

    /// The accepted events, in stream order, of every stream the group's imports touch (an
    /// empty history for a new stream): what the writer rules judge the imports by.
    func loadImportedStreamHistories(for group: [Pending], on connection: PostgresConnection) async throws -> [String: [EventEnvelope]] {
        var histories: [String: [EventEnvelope]] = [:]
        for case .importBatch(let events, _, _, _) in group {
            for event in events { histories[event.envelope.streamId] = [] }
        }
        let rows = try await connection.query("""
            SELECT envelope, hash, signature, global_position, received_at, quarantine_reason FROM events
             WHERE stream_id = ANY(\(Array(histories.keys))::text[]) AND quarantine_reason IS NULL
             ORDER BY stream_id, stream_version
            """, logger: logger)
        for stored in try await EventReader.decode(rows) {
            histories[stored.envelope.streamId, default: []].append(stored.envelope)
        }
        return histories
    }
}

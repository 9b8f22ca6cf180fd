import NIOCore
import PostgresNIO

/// One group commit as a single statement, run in the appender's transaction (whose
/// COMMIT is what answers the callers): take the node lock, check that the log ends at
/// `expectedHead`, insert the rows, notify readers.
///
/// Under the lock, positions `expectedHead + 1...` can only be taken by this statement; a
/// stale `expectedHead` either fails the check (no rows) or a unique constraint.
struct InsertEventsStatement: PostgresPreparedStatement {
    typealias Row = Int

    static let sql = """
        WITH node_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock($1) AS locked),
        inserted AS (
          INSERT INTO events (global_position, event_id, origin_node, origin_seq, stream_id, stream_version,
                              type, schema_version, recorded_at, actor_centre, actor_staff,
                              envelope, prev_hash, hash, signature, quarantine_reason)
          SELECT p, id, o, seq, s, v, t, sv, ra, NULLIF(ac, ''), st, env, ph, h, sig, NULLIF(q, '')
            FROM node_lock,
                 unnest($3::bigint[], $4::uuid[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[],
                        $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::bytea[], $15::bytea[],
                        $16::bytea[], $17::bytea[], $18::text[])
                   AS r(p, id, o, seq, s, v, t, sv, ra, ac, st, env, ph, h, sig, q)
           WHERE (SELECT coalesce(max(global_position), 0) FROM events) = $2
          RETURNING global_position)
        SELECT count(*)::int FROM inserted
         CROSS JOIN LATERAL (SELECT pg_notify('\(EventAppender.notificationChannel)', $19::text)) AS notified
        """

    let lockKey: Int64
    let expectedHead: Int64
    let rows: [PlannedRow]
    /// The rows' events, signed.
    let events: [SignedEvent]

    func makeBindings() throws -> PostgresBindings {
        let envelopes = events.map(\.envelope)
        var bindings = PostgresBindings(capacity: 19)
        bindings.append(lockKey)
        bindings.append(expectedHead)
        bindings.append(rows.map(\.globalPosition))
        bindings.append(envelopes.map(\.eventId))
        bindings.append(envelopes.map(\.originNode.rawValue))
        bindings.append(envelopes.map(\.originSeq))
        let quarantined = rows.map { $0.quarantineReason != nil }
        bindings.append(zip(envelopes, quarantined).map { StoredColumns.text($0.streamId, quarantined: $1) })
        bindings.append(envelopes.map(\.streamVersion))
        bindings.append(zip(envelopes, quarantined).map { StoredColumns.text($0.type, quarantined: $1) })
        bindings.append(zip(envelopes, quarantined).map { StoredColumns.schemaVersion($0.schemaVersion, quarantined: $1) })
        bindings.append(envelopes.map(\.recordedAt.date))
        bindings.append(envelopes.map { $0.actor.centre?.rawValue ?? "" })
        bindings.append(zip(envelopes, quarantined).map { StoredColumns.text($0.actor.staff, quarantined: $1) })
        bindings.append(events.map { ByteBuffer(bytes: $0.canonicalBytes) })
        bindings.append(envelopes.map { ByteBuffer(bytes: $0.prevHash.bytes) })
        bindings.append(events.map { ByteBuffer(bytes: $0.hash.bytes) })
        bindings.append(events.map { ByteBuffer(bytes: $0.signature) })
        bindings.append(rows.map { $0.quarantineReason ?? "" })
        // Identical payloads within a transaction are delivered once.
        bindings.append(String(rows.map(\.globalPosition).max() ?? 0))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int {
        try row.decode(Int.self)
    }
}

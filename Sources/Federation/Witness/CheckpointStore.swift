import CaseDomain
import EventLog
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The checkpoints this node signed of its own chain and those it received of the others'
/// (tables `checkpoints`, `checkpoint_cosignatures`), with the cosignatures it made and
/// saw. Node state beside the log, never in it.
public struct CheckpointStore: Sendable {
    let client: PostgresClient
    /// This node: it signs its own chain's checkpoints and cosigns the others'.
    let key: NodeSigningKey
    /// The keys checkpoints and cosignatures are checked with (following key changes).
    let keys: any OriginKeySource
    let logger: Logger

    /// At most this many checkpoints of one origin travel in one pull answer: the newest
    /// confirmed one and the evidence of an equivocation.
    public static let maximumPerOrigin = 8

    public init(client: PostgresClient, key: NodeSigningKey, keyring: any OriginKeySource, logger: Logger = Logger(label: "tongban.checkpoints")) {
        self.client = client
        self.key = key
        self.keys = keyring
        self.logger = logger
    }

    /// Signs a checkpoint of this node's chain head when the chain has grown since the last
    /// one; returns it (`nil` when nothing changed).
    @discardableResult
    public func signOwnHead(now: Timestamp = Timestamp(Date())) async throws -> SignedCheckpoint? {
        let node = key.node.rawValue
        let rows = try await client.query("""
            SELECT e.origin_seq, e.hash FROM events e WHERE e.origin_node = \(node)
               AND e.origin_seq > coalesce((SELECT max(origin_seq) FROM checkpoints WHERE origin = \(node) AND confirmed), 0)
             ORDER BY e.origin_seq DESC LIMIT 1
            """, logger: logger)
        for try await (seq, hashBytes) in rows.decode((Int64, ByteBuffer).self) {
            guard let hash = EventHash(bytes: Array(hashBytes.readableBytesView)) else { return nil }
            let checkpoint = try SignedCheckpoint.sign(seq: seq, hash: hash, at: now, with: key)
            try await insert(checkpoint, from: key.node, confirmed: true)
            return checkpoint
        }
        return nil
    }

    /// What a peer's pull answer brought: at most ``maximumPerOrigin`` checkpoints of each
    /// origin, the newest (a peer cannot make this node check or store more); those their
    /// origin's key signed are kept with their valid cosignatures (anything else is dropped
    /// and counted); then every kept one this node can check is confirmed and cosigned.
    public func receive(_ checkpoints: [SignedCheckpoint], from peer: NodeID) async throws -> ReceiveOutcome {
        var outcome = ReceiveOutcome()
        let keyring = try await keys.originKeys()
        let bounded = Dictionary(grouping: checkpoints, by: \.origin).values.flatMap { $0.sorted { $0.seq > $1.seq }.prefix(Self.maximumPerOrigin) }
        outcome.refused = checkpoints.count - bounded.count
        // What this node holds already, with every cosignature it brings, is neither checked
        // nor stored again: a peer tells the same newest checkpoints on every pull.
        let held = try await heldWitnesses(of: bounded)
        var fresh: [SignedCheckpoint] = []
        var stored = false
        for var checkpoint in bounded {
            if let witnesses = held[Key(checkpoint)], Set(checkpoint.cosignatures.keys).isSubset(of: witnesses) {
                outcome.kept += 1
                continue
            }
            guard checkpoint.isSigned(by: keyring) else {
                outcome.refused += 1
                continue
            }
            let valid = checkpoint.validCosignatures(in: keyring)
            outcome.refused += checkpoint.cosignatures.count - valid.count
            checkpoint.cosignatures = valid
            if try await insert(checkpoint, from: peer, confirmed: false) { fresh.append(checkpoint) }
            stored = true
            outcome.kept += 1
        }
        // Confirming reads every confirmed checkpoint for the uncosigned: only when this call
        // stored something or one held is still ahead of the log (its event may have come).
        let pending = stored ? true : try await hasUnconfirmed()
        if pending {
            outcome.confirmed = try await confirmPending()
        }
        // Only what is new here is news: known evidence is not reported again on every pull.
        for checkpoint in fresh where try await isContradicted(checkpoint) {
            outcome.contradicting.append(checkpoint)
        }
        return outcome
    }

    /// What ``receive(_:from:)`` did.
    public struct ReceiveOutcome: Sendable, Equatable {
        /// Checkpoints kept (signed by their origins).
        public var kept = 0
        /// Checkpoints and cosignatures dropped: not signed by their keys, or beyond
        /// ``CheckpointStore/maximumPerOrigin`` of one origin.
        public var refused = 0
        /// Checkpoints confirmed now, received in this call or earlier.
        public var confirmed = 0
        /// Checkpoints new here that contradict the log or another checkpoint of their
        /// origin: the evidence of an equivocation, for the operator to hear of at once.
        public var contradicting: [SignedCheckpoint] = []

        public init(kept: Int = 0, refused: Int = 0, confirmed: Int = 0) {
            (self.kept, self.refused, self.confirmed) = (kept, refused, confirmed)
        }
    }

    /// Whether `checkpoint` names another hash than the event this node holds at
    /// its sequence or than another checkpoint of that sequence.
    private func isContradicted(_ checkpoint: SignedCheckpoint) async throws -> Bool {
        let hash = ByteBuffer(bytes: checkpoint.hash.bytes)
        let rows = try await client.query("""
            SELECT EXISTS (SELECT 1 FROM events WHERE origin_node = \(checkpoint.origin.rawValue) AND origin_seq = \(checkpoint.seq) AND hash <> \(hash))
                OR EXISTS (SELECT 1 FROM checkpoints WHERE origin = \(checkpoint.origin.rawValue) AND origin_seq = \(checkpoint.seq) AND event_hash <> \(hash))
            """, logger: logger)
        for try await contradicted in rows.decode(Bool.self) { return contradicted }
        return false
    }

    /// Confirms every unconfirmed checkpoint whose event this node now holds with the same
    /// hash, and cosigns every confirmed one of another origin it has not cosigned yet (so a
    /// failure between the two is made good next time); returns how many were confirmed.
    @discardableResult
    public func confirmPending() async throws -> Int {
        let updated = try await client.query("""
            WITH confirmed AS (
              UPDATE checkpoints c SET confirmed = true FROM events e
               WHERE NOT c.confirmed AND e.origin_node = c.origin AND e.origin_seq = c.origin_seq AND e.hash = c.event_hash
              RETURNING 1)
            SELECT count(*) FROM confirmed
            """, logger: logger)
        var confirmed = 0
        for try await count in updated.decode(Int.self) { confirmed = count }
        let node = key.node.rawValue
        let uncosigned = try await client.query("""
            SELECT c.origin, c.origin_seq, c.event_hash, c.signed_at_ms, c.signature FROM checkpoints c
             WHERE c.confirmed AND c.origin <> \(node)
               AND NOT EXISTS (SELECT 1 FROM checkpoint_cosignatures s WHERE s.origin = c.origin AND s.origin_seq = c.origin_seq
                                 AND s.event_hash = c.event_hash AND s.witness = \(node))
             LIMIT 1000
            """, logger: logger)
        var toCosign: [SignedCheckpoint] = []
        for try await row in uncosigned.decode((String, Int64, ByteBuffer, Int64, ByteBuffer).self) {
            if let checkpoint = Self.checkpoint(row) { toCosign.append(checkpoint) }
        }
        for checkpoint in toCosign {
            let cosignature = try checkpoint.cosigned(with: key).cosignatures[key.node] ?? []
            try await insertCosignature(of: checkpoint, by: key.node, signature: cosignature)
        }
        return confirmed
    }

    /// Unconfirmed checkpoints kept per origin that are still ahead of this node's log (a
    /// node catching up confirms them as the events arrive).
    public static let maximumPending = 64
    /// Contradicting checkpoints kept per origin: the first evidence of an equivocation.
    public static let maximumEvidence = 16

    /// Drops what no check needs any more, so the tables stay small however long the log
    /// grows: confirmed checkpoints signed more than `age` ago but the newest of each origin
    /// and the evidence; per origin, all but the newest ``maximumPending`` still ahead of
    /// the log, and all but the first ``maximumEvidence`` that contradict the log or another
    /// checkpoint (an origin cannot fill a node's disk by signing, nor push its own evidence
    /// out). Returns how many were dropped.
    @discardableResult
    public func prune(olderThan age: Duration = .seconds(3600)) async throws -> Int {
        let cutoff = Timestamp(Date()).millisecondsSinceEpoch - age.components.seconds * 1000
        let rows = try await client.query("""
            WITH flagged AS (
              SELECT c.origin, c.origin_seq, c.event_hash, c.confirmed, c.signed_at_ms,
                     EXISTS (SELECT 1 FROM checkpoints d WHERE d.origin = c.origin AND d.origin_seq = c.origin_seq AND d.event_hash <> c.event_hash)
                     OR (NOT c.confirmed AND EXISTS (SELECT 1 FROM events e WHERE e.origin_node = c.origin AND e.origin_seq = c.origin_seq)) AS evidence
                FROM checkpoints c),
            ranked AS (
              SELECT f.*,
                     row_number() OVER (PARTITION BY f.origin, f.evidence, f.confirmed
                                        ORDER BY CASE WHEN f.evidence THEN f.origin_seq ELSE -f.origin_seq END, f.event_hash) AS rank,
                     max(f.origin_seq) FILTER (WHERE f.confirmed) OVER (PARTITION BY f.origin) AS newest
                FROM flagged f),
            doomed AS (
              SELECT origin, origin_seq, event_hash FROM ranked
               WHERE (confirmed AND NOT evidence AND origin_seq < newest AND signed_at_ms < \(cutoff))
                  OR (NOT confirmed AND NOT evidence AND rank > \(Self.maximumPending))
                  OR (evidence AND rank > \(Self.maximumEvidence))),
            dropped AS (
              DELETE FROM checkpoints c USING doomed d
               WHERE c.origin = d.origin AND c.origin_seq = d.origin_seq AND c.event_hash = d.event_hash
              RETURNING 1)
            SELECT count(*) FROM dropped
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// What this node tells a peer that pulls from it: per origin the newest confirmed
    /// checkpoint, and the evidence of an equivocation (``newestOrContested``), with their
    /// cosignatures.
    public func gossip() async throws -> [SignedCheckpoint] {
        try await checkpoints(where: Self.newestOrContested).map { checkpoint in
            var told = checkpoint
            told.cosignatures = Self.boundedCosignatures(of: checkpoint, keeping: key.node)
            return told
        }
    }

    /// At most this many cosignatures of one checkpoint travel in a pull answer, so that an
    /// answer's checkpoints grow with the origins, not with origins times witnesses.
    public static let maximumCosignaturesTold = 8

    /// `checkpoint`'s cosignatures cut to ``maximumCosignaturesTold``: `own`'s first, then by witness id.
    static func boundedCosignatures(of checkpoint: SignedCheckpoint, keeping own: NodeID) -> [NodeID: [UInt8]] {
        guard checkpoint.cosignatures.count > maximumCosignaturesTold else { return checkpoint.cosignatures }
        let witnesses = checkpoint.cosignatures.keys.sorted { ($0 == own ? 0 : 1, $0.rawValue) < ($1 == own ? 0 : 1, $1.rawValue) }
        return Dictionary(uniqueKeysWithValues: witnesses.prefix(maximumCosignaturesTold).map { ($0, checkpoint.cosignatures[$0]!) })
    }

    /// Whether a checkpoint received is not confirmed yet (one index probe).
    private func hasUnconfirmed() async throws -> Bool {
        let rows = try await client.query("SELECT EXISTS (SELECT 1 FROM checkpoints WHERE NOT confirmed)", logger: logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    /// Of `checkpoints`, those this node holds, each with the witnesses of the cosignatures it holds.
    private func heldWitnesses(of checkpoints: [SignedCheckpoint]) async throws -> [Key: Set<NodeID>] {
        guard !checkpoints.isEmpty else { return [:] }
        let rows = try await client.query("""
            SELECT c.origin, c.origin_seq, c.event_hash, coalesce(array_agg(s.witness) FILTER (WHERE s.witness IS NOT NULL), '{}')
              FROM unnest(\(checkpoints.map(\.origin.rawValue))::text[], \(checkpoints.map(\.seq))::bigint[], \(checkpoints.map(\.hash.hex))::text[])
                   AS wanted(origin, origin_seq, hash)
              JOIN checkpoints c ON c.origin = wanted.origin AND c.origin_seq = wanted.origin_seq AND c.event_hash = decode(wanted.hash, 'hex')
              LEFT JOIN checkpoint_cosignatures s ON s.origin = c.origin AND s.origin_seq = c.origin_seq AND s.event_hash = c.event_hash
             GROUP BY c.origin, c.origin_seq, c.event_hash
            """, logger: logger)
        var held: [Key: Set<NodeID>] = [:]
        for try await (origin, seq, hash, witnesses) in rows.decode((String, Int64, ByteBuffer, [String]).self) {
            guard let origin = NodeID(rawValue: origin), let hash = EventHash(bytes: Array(hash.readableBytesView)) else { continue }
            held[Key(origin: origin, seq: seq, hash: hash)] = Set(witnesses.compactMap(NodeID.init(rawValue:)))
        }
        return held
    }

    /// SQL over `checkpoints c`: the newest confirmed checkpoint of its origin, or one that
    /// contradicts another checkpoint (one sequence, several hashes) or the log (not
    /// confirmed though this node holds the event it names: the hashes differ).
    static let newestOrContested = """
        (c.confirmed AND c.origin_seq = (SELECT max(origin_seq) FROM checkpoints n WHERE n.origin = c.origin AND n.confirmed))
        OR (SELECT count(*) FROM checkpoints d WHERE d.origin = c.origin AND d.origin_seq = c.origin_seq) > 1
        OR (NOT c.confirmed AND EXISTS (SELECT 1 FROM events e WHERE e.origin_node = c.origin AND e.origin_seq = c.origin_seq))
        """

    /// Per origin, the newest confirmed checkpoint cosigned by a node other than its origin
    /// (for the peers' origins this node's own cosignature counts; the newest confirmed one
    /// when none is cosigned yet), with its cosignatures: what an operator exports.
    public static func newestCosigned(client: PostgresClient, logger: Logger = Logger(label: "tongban.checkpoints")) async throws -> [SignedCheckpoint] {
        let rows = try await client.query("""
            SELECT DISTINCT ON (c.origin) c.origin, c.origin_seq, c.event_hash, c.signed_at_ms, c.signature
              FROM checkpoints c
             WHERE c.confirmed
             ORDER BY c.origin, EXISTS (SELECT 1 FROM checkpoint_cosignatures s WHERE s.origin = c.origin AND s.origin_seq = c.origin_seq
                                          AND s.event_hash = c.event_hash AND s.witness <> c.origin) DESC, c.origin_seq DESC
            """, logger: logger)
        var found: [SignedCheckpoint] = []
        for try await row in rows.decode((String, Int64, ByteBuffer, Int64, ByteBuffer).self) {
            if let checkpoint = checkpoint(row) { found.append(checkpoint) }
        }
        return try await withCosignatures(found, client: client, logger: logger)
    }

    /// The checkpoints matching `condition` (SQL over `c`, no outside values), at most
    /// ``maximumPerOrigin`` per origin, newest first, with cosignatures.
    func checkpoints(where condition: String) async throws -> [SignedCheckpoint] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT origin, origin_seq, event_hash, signed_at_ms, signature FROM (
              SELECT c.*, row_number() OVER (PARTITION BY c.origin ORDER BY c.origin_seq DESC, c.event_hash) AS rank
                FROM checkpoints c WHERE \(condition)) ranked
             WHERE rank <= \(Self.maximumPerOrigin) ORDER BY origin, origin_seq DESC, event_hash
            """), logger: logger)
        var found: [SignedCheckpoint] = []
        for try await row in rows.decode((String, Int64, ByteBuffer, Int64, ByteBuffer).self) {
            if let checkpoint = Self.checkpoint(row) { found.append(checkpoint) }
        }
        return try await Self.withCosignatures(found, client: client, logger: logger)
    }

    /// `checkpoints` with the cosignatures this node keeps of each.
    static func withCosignatures(_ checkpoints: [SignedCheckpoint], client: PostgresClient, logger: Logger) async throws -> [SignedCheckpoint] {
        guard !checkpoints.isEmpty else { return [] }
        let rows = try await client.query("""
            SELECT s.origin, s.origin_seq, s.event_hash, s.witness, s.signature
              FROM unnest(\(checkpoints.map(\.origin.rawValue))::text[], \(checkpoints.map(\.seq))::bigint[]) AS wanted(origin, origin_seq)
              JOIN checkpoint_cosignatures s ON s.origin = wanted.origin AND s.origin_seq = wanted.origin_seq
            """, logger: logger)
        let index = Dictionary(uniqueKeysWithValues: checkpoints.enumerated().map { (Key($1), $0) })
        var result = checkpoints
        for try await (origin, seq, hash, witness, signature) in rows.decode((String, Int64, ByteBuffer, String, ByteBuffer).self) {
            guard let origin = NodeID(rawValue: origin), let hash = EventHash(bytes: Array(hash.readableBytesView)),
                  let position = index[Key(origin: origin, seq: seq, hash: hash)], let witness = NodeID(rawValue: witness) else { continue }
            result[position].cosignatures[witness] = Array(signature.readableBytesView)
        }
        return result
    }

    private struct Key: Hashable {
        var origin: NodeID
        var seq: Int64
        var hash: EventHash
        init(origin: NodeID, seq: Int64, hash: EventHash) { (self.origin, self.seq, self.hash) = (origin, seq, hash) }
        init(_ checkpoint: SignedCheckpoint) { self.init(origin: checkpoint.origin, seq: checkpoint.seq, hash: checkpoint.hash) }
    }

    /// Stores `checkpoint` (unless held) and its cosignatures in one transaction (a prune in
    /// between cannot orphan them); returns whether the checkpoint is new here.
    @discardableResult
    private func insert(_ checkpoint: SignedCheckpoint, from sender: NodeID, confirmed: Bool) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                INSERT INTO checkpoints (origin, origin_seq, event_hash, signed_at_ms, signature, received_from, confirmed)
                VALUES (\(checkpoint.origin.rawValue), \(checkpoint.seq), \(ByteBuffer(bytes: checkpoint.hash.bytes)),
                        \(checkpoint.signedAt.millisecondsSinceEpoch), \(ByteBuffer(bytes: checkpoint.signature)), \(sender.rawValue), \(confirmed))
                ON CONFLICT (origin, origin_seq, event_hash) DO NOTHING RETURNING 1
                """, logger: logger)
            var isNew = false
            for try await _ in rows { isNew = true }
            for (witness, signature) in checkpoint.cosignatures {
                try await connection.query(Self.cosignatureInsert(of: checkpoint, by: witness, signature: signature), logger: logger)
            }
            return isNew
        }
    }

    /// This node's cosignature of `checkpoint`, unless the checkpoint was pruned meanwhile.
    private func insertCosignature(of checkpoint: SignedCheckpoint, by witness: NodeID, signature: [UInt8]) async throws {
        try await client.query(Self.cosignatureInsert(of: checkpoint, by: witness, signature: signature), logger: logger)
    }

    /// Stores `witness`'s cosignature of `checkpoint` unless held, or unless the checkpoint
    /// is gone (pruned meanwhile: nothing is orphaned).
    private static func cosignatureInsert(of checkpoint: SignedCheckpoint, by witness: NodeID, signature: [UInt8]) -> PostgresQuery {
        """
            INSERT INTO checkpoint_cosignatures (origin, origin_seq, event_hash, witness, signature)
            SELECT \(checkpoint.origin.rawValue), \(checkpoint.seq), \(ByteBuffer(bytes: checkpoint.hash.bytes)), \(witness.rawValue), \(ByteBuffer(bytes: signature))
             WHERE EXISTS (SELECT 1 FROM checkpoints WHERE origin = \(checkpoint.origin.rawValue) AND origin_seq = \(checkpoint.seq)
                             AND event_hash = \(ByteBuffer(bytes: checkpoint.hash.bytes)))
            ON CONFLICT (origin, origin_seq, event_hash, witness) DO NOTHING
            """
    }

    static func checkpoint(_ row: (String, Int64, ByteBuffer, Int64, ByteBuffer)) -> SignedCheckpoint? {
        guard let origin = NodeID(rawValue: row.0), let hash = EventHash(bytes: Array(row.2.readableBytesView)),
              let signedAt = Timestamp(exactly: row.3) else { return nil }
        return SignedCheckpoint(origin: origin, seq: row.1, hash: hash, signedAt: signedAt, signature: Array(row.4.readableBytesView), cosignatures: [:])
    }
}

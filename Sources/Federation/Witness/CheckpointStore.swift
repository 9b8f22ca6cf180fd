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
               AND e.origin_seq > coalesce((SELECT max(origin_seq) FROM checkpoints WHERE origin = \(node)), 0)
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

    /// What a peer's pull answer brought: checkpoints whose origin signed them are kept with
    /// their valid cosignatures (anything else is dropped and counted); then every kept one
    /// this node can check is confirmed and cosigned.
    public func receive(_ checkpoints: [SignedCheckpoint], from peer: NodeID) async throws -> ReceiveOutcome {
        var outcome = ReceiveOutcome()
        let keyring = try await keys.originKeys()
        for var checkpoint in checkpoints {
            guard checkpoint.isSigned(by: keyring) else {
                outcome.refused += 1
                continue
            }
            let valid = checkpoint.validCosignatures(in: keyring)
            outcome.refused += checkpoint.cosignatures.count - valid.count
            checkpoint.cosignatures = valid
            try await insert(checkpoint, from: peer, confirmed: false)
            outcome.kept += 1
        }
        outcome.confirmed = try await confirmPending()
        for checkpoint in checkpoints where checkpoint.isSigned(by: keyring) {
            guard try await isContradicted(checkpoint) else { continue }
            outcome.contradicting.append(checkpoint)
        }
        return outcome
    }

    /// What ``receive(_:from:)`` did.
    public struct ReceiveOutcome: Sendable, Equatable {
        /// Checkpoints kept (signed by their origins).
        public var kept = 0
        /// Checkpoints and cosignatures dropped: not signed by their keys.
        public var refused = 0
        /// Checkpoints confirmed now, received in this call or earlier.
        public var confirmed = 0
        /// Kept checkpoints that contradict the log or another checkpoint of their origin:
        /// the evidence of an equivocation, for the operator to hear of at once.
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
    /// hash, and cosigns it; returns how many.
    @discardableResult
    public func confirmPending() async throws -> Int {
        let rows = try await client.query("""
            UPDATE checkpoints c SET confirmed = true FROM events e
             WHERE NOT c.confirmed AND e.origin_node = c.origin AND e.origin_seq = c.origin_seq AND e.hash = c.event_hash
            RETURNING c.origin, c.origin_seq, c.event_hash, c.signed_at_ms, c.signature
            """, logger: logger)
        var confirmed: [SignedCheckpoint] = []
        for try await row in rows.decode((String, Int64, ByteBuffer, Int64, ByteBuffer).self) {
            if let checkpoint = Self.checkpoint(row) { confirmed.append(checkpoint) }
        }
        for checkpoint in confirmed where checkpoint.origin != key.node {
            let cosignature = try checkpoint.cosigned(with: key).cosignatures[key.node] ?? []
            try await insertCosignature(of: checkpoint, by: key.node, signature: cosignature)
        }
        return confirmed.count
    }

    /// Drops what no check needs any more, so the tables stay small however long the log
    /// grows: confirmed checkpoints older than `age` but the newest of each origin, and per
    /// origin all but the newest ``maximumPerOrigin`` unconfirmed ones (the first evidence
    /// of an equivocation is kept: an origin cannot fill a node's disk by signing).
    /// Returns how many were dropped.
    @discardableResult
    public func prune(olderThan age: Duration = .seconds(3600)) async throws -> Int {
        let seconds = Double(age.components.seconds)
        let rows = try await client.query("""
            WITH newest AS (SELECT origin, max(origin_seq) AS seq FROM checkpoints WHERE confirmed GROUP BY origin),
                 ranked AS (SELECT origin, origin_seq, event_hash,
                                   row_number() OVER (PARTITION BY origin ORDER BY origin_seq DESC, event_hash) AS rank
                              FROM checkpoints WHERE NOT confirmed),
                 dropped AS (
                   DELETE FROM checkpoints c
                    WHERE (c.confirmed AND c.received_at < now() - make_interval(secs => \(seconds))
                           AND c.origin_seq < (SELECT seq FROM newest n WHERE n.origin = c.origin)
                           AND NOT EXISTS (SELECT 1 FROM checkpoints d WHERE d.origin = c.origin AND d.origin_seq = c.origin_seq
                                             AND d.event_hash <> c.event_hash))
                       OR (NOT c.confirmed AND EXISTS (SELECT 1 FROM ranked r WHERE r.origin = c.origin AND r.origin_seq = c.origin_seq
                                                         AND r.event_hash = c.event_hash AND r.rank > \(Self.maximumPerOrigin * 8)))
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
        try await checkpoints(where: Self.newestOrContested)
    }

    /// SQL over `checkpoints c`: the newest confirmed checkpoint of its origin, or one that
    /// contradicts another checkpoint (one sequence, several hashes) or the log (not
    /// confirmed though this node holds the event it names: the hashes differ).
    static let newestOrContested = """
        (c.confirmed AND c.origin_seq = (SELECT max(origin_seq) FROM checkpoints n WHERE n.origin = c.origin AND n.confirmed))
        OR (SELECT count(*) FROM checkpoints d WHERE d.origin = c.origin AND d.origin_seq = c.origin_seq) > 1
        OR (NOT c.confirmed AND EXISTS (SELECT 1 FROM events e WHERE e.origin_node = c.origin AND e.origin_seq = c.origin_seq))
        """

    /// Per origin, the newest confirmed checkpoint that another node cosigned (the newest
    /// confirmed one when none is cosigned yet), with its cosignatures: what an operator
    /// exports.
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
            SELECT origin, origin_seq, event_hash, witness, signature FROM checkpoint_cosignatures
             WHERE origin = ANY(\(Array(Set(checkpoints.map(\.origin.rawValue)))))
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

    private func insert(_ checkpoint: SignedCheckpoint, from sender: NodeID, confirmed: Bool) async throws {
        try await client.query("""
            INSERT INTO checkpoints (origin, origin_seq, event_hash, signed_at_ms, signature, received_from, confirmed)
            VALUES (\(checkpoint.origin.rawValue), \(checkpoint.seq), \(ByteBuffer(bytes: checkpoint.hash.bytes)),
                    \(checkpoint.signedAt.millisecondsSinceEpoch), \(ByteBuffer(bytes: checkpoint.signature)), \(sender.rawValue), \(confirmed))
            ON CONFLICT (origin, origin_seq, event_hash) DO NOTHING
            """, logger: logger)
        for (witness, signature) in checkpoint.cosignatures {
            try await insertCosignature(of: checkpoint, by: witness, signature: signature)
        }
    }

    private func insertCosignature(of checkpoint: SignedCheckpoint, by witness: NodeID, signature: [UInt8]) async throws {
        try await client.query("""
            INSERT INTO checkpoint_cosignatures (origin, origin_seq, event_hash, witness, signature)
            VALUES (\(checkpoint.origin.rawValue), \(checkpoint.seq), \(ByteBuffer(bytes: checkpoint.hash.bytes)), \(witness.rawValue), \(ByteBuffer(bytes: signature)))
            ON CONFLICT (origin, origin_seq, event_hash, witness) DO NOTHING
            """, logger: logger)
    }

    static func checkpoint(_ row: (String, Int64, ByteBuffer, Int64, ByteBuffer)) -> SignedCheckpoint? {
        guard let origin = NodeID(rawValue: row.0), let hash = EventHash(bytes: Array(row.2.readableBytesView)),
              let signedAt = Timestamp(exactly: row.3) else { return nil }
        return SignedCheckpoint(origin: origin, seq: row.1, hash: hash, signedAt: signedAt, signature: Array(row.4.readableBytesView), cosignatures: [:])
    }
}

import CaseDomain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Walks every origin chain of a node's log and checks each event: the stored envelope
/// hashes to the stored hash, the origin's key for its sequence signed it (following the chain's key changes), it follows its predecessor
/// (sequence and `prevHash`), and the query columns agree with the signed envelope.
/// It also checks that global positions are 1..n without a gap.
public struct ChainVerifier: Sendable {
    /// The first broken event of one origin's chain.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let origin: NodeID
        public let seq: Int64
        public let globalPosition: Int64?
        public let eventId: String?
        public let error: IntegrityError

        public var description: String {
            let position = globalPosition.map { ", position \($0)" } ?? ""
            let id = eventId.map { ", event \($0)" } ?? ""
            return "origin \(origin) seq \(seq)\(id)\(position): \(error)"
        }
    }

    /// What one origin's chain holds.
    public struct OriginSummary: Sendable, Hashable {
        public var events: Int = 0
        public var headSeq: Int64 = 0
        public var headHash: EventHash = .genesis
        public var quarantined: Int = 0
        /// Events signed by a key the federation file marks compromised that this node
        /// imported before the marking, so holds unquarantined (projections applied them).
        public var compromisedUnquarantined: Int = 0
    }

    /// The outcome of a full check.
    public struct Report: Sendable {
        public var origins: [NodeID: OriginSummary] = [:]
        public var problems: [Problem] = []
        /// The first missing global position, if the positions have a gap.
        public var firstMissingPosition: Int64?
        public var eventsChecked = 0

        /// True when every chain and signature checked out and positions are gapless.
        public var isIntact: Bool { problems.isEmpty && firstMissingPosition == nil }
    }

    private let client: PostgresClient
    private let keyring: OriginKeyring
    private let logger: Logger

    public init(client: PostgresClient, keyring: OriginKeyring, logger: Logger = Logger(label: "tongban.verify")) {
        self.client = client
        self.keyring = keyring
        self.logger = logger
    }

    /// Checks the whole log, `batchSize` rows at a time; `progress` is called after each
    /// batch with the events checked so far and the total.
    public func verify(batchSize: Int = 5000, progress: (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        let total = try await count()
        var brokenOrigins: Set<NodeID> = []
        // Followed as the walk meets each origin's key changes, in chain order.
        var keyring = self.keyring
        var lastKey: (String, Int64) = ("", 0)
        while true {
            let rows = try await client.query("""
                SELECT origin_node, origin_seq, global_position, event_id, stream_id, stream_version, type,
                       schema_version, actor_centre, actor_staff, envelope, prev_hash, hash, signature, quarantine_reason
                  FROM events WHERE (origin_node, origin_seq) > (\(lastKey.0), \(lastKey.1))
                 ORDER BY origin_node, origin_seq LIMIT \(batchSize)
                """, logger: logger)
            var batchCount = 0
            for try await row in rows {
                batchCount += 1
                let stored = try StoredRow(row)
                lastKey = (stored.originNode, stored.originSeq)
                guard let origin = NodeID(rawValue: stored.originNode) else {
                    report.problems.append(Problem(origin: NodeID(rawValue: "invalid")!, seq: stored.originSeq, globalPosition: stored.globalPosition, eventId: stored.eventId.uuidString.lowercased(), error: .columnMismatch("origin_node")))
                    continue
                }
                var summary = report.origins[origin, default: OriginSummary()]
                summary.events += 1
                if stored.quarantineReason != nil { summary.quarantined += 1 }
                if stored.quarantineReason == nil, keyring.compromise(of: origin, seq: stored.originSeq) != nil { summary.compromisedUnquarantined += 1 }
                if !brokenOrigins.contains(origin) {
                    do {
                        try check(stored, origin: origin, after: summary, keyring: &keyring)
                    } catch {
                        brokenOrigins.insert(origin)
                        report.problems.append(Problem(origin: origin, seq: stored.originSeq, globalPosition: stored.globalPosition, eventId: stored.eventId.uuidString.lowercased(), error: error))
                    }
                }
                summary.headSeq = stored.originSeq
                summary.headHash = EventHash(bytes: stored.hash) ?? .genesis
                report.origins[origin] = summary
            }
            report.eventsChecked += batchCount
            progress(report.eventsChecked, total)
            if batchCount < batchSize { break }
        }
        report.firstMissingPosition = try await firstMissingPosition()
        return report
    }

    private func check(_ stored: StoredRow, origin: NodeID, after previous: OriginSummary, keyring: inout OriginKeyring) throws(IntegrityError) {
        guard stored.originSeq == previous.headSeq + 1 else {
            throw .sequenceGap(expected: previous.headSeq + 1, found: stored.originSeq)
        }
        guard let hash = EventHash(bytes: stored.hash) else { throw .columnMismatch("hash") }
        let event: SignedEvent
        do { event = try SignedEvent(canonicalBytes: stored.envelope, hash: hash, signature: stored.signature) } catch {
            if EventHash(of: stored.envelope) != hash { throw .hashMismatch(computed: EventHash(of: stored.envelope), stored: hash) }
            throw .malformedEnvelope(error)
        }
        try event.verify(with: keyring)
        keyring = keyring.following(CollectionOfOne(event))
        let envelope = event.envelope
        guard envelope.prevHash == previous.headHash else {
            throw .brokenChain(expectedPrevHash: previous.headHash, found: envelope.prevHash)
        }
        let quarantined = stored.quarantineReason != nil
        let columns: [(String, Bool)] = [
            ("origin_node", envelope.originNode == origin),
            ("origin_seq", envelope.originSeq == stored.originSeq),
            ("event_id", envelope.eventId == stored.eventId),
            ("stream_id", StoredColumns.text(envelope.streamId, quarantined: quarantined) == stored.streamId),
            ("stream_version", envelope.streamVersion == stored.streamVersion),
            ("type", StoredColumns.text(envelope.type, quarantined: quarantined) == stored.type),
            ("schema_version", StoredColumns.schemaVersion(envelope.schemaVersion, quarantined: quarantined) == stored.schemaVersion),
            ("actor_centre", envelope.actor.centre?.rawValue == stored.actorCentre),
            ("actor_staff", StoredColumns.text(envelope.actor.staff, quarantined: quarantined) == stored.actorStaff),
            ("prev_hash", envelope.prevHash.bytes == stored.prevHash),
        ]
        if let mismatch = columns.first(where: { !$0.1 }) { throw .columnMismatch(mismatch.0) }
    }

    private func count() async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM events", logger: logger)
        for try await total in rows.decode(Int.self) { return total }
        return 0
    }

    private func firstMissingPosition() async throws -> Int64? {
        let rows = try await client.query("""
            SELECT CASE
                     WHEN NOT EXISTS (SELECT 1 FROM events) THEN NULL
                     WHEN NOT EXISTS (SELECT 1 FROM events WHERE global_position = 1) THEN 1
                     ELSE (SELECT min(e.global_position) + 1 FROM events e
                            WHERE e.global_position < (SELECT max(global_position) FROM events)
                              AND NOT EXISTS (SELECT 1 FROM events n WHERE n.global_position = e.global_position + 1))
                   END
            """, logger: logger)
        for try await missing in rows.decode(Int64?.self) { return missing }
        return nil
    }
}

/// One events row as stored, columns and bytes alike.
private struct StoredRow {
    let originNode: String
    let originSeq: Int64
    let globalPosition: Int64
    let eventId: UUID
    let streamId: String
    let streamVersion: Int64
    let type: String
    let schemaVersion: Int
    let actorCentre: String?
    let actorStaff: String
    let envelope: [UInt8]
    let prevHash: [UInt8]
    let hash: [UInt8]
    let signature: [UInt8]
    let quarantineReason: String?

    init(_ row: PostgresRow) throws {
        let (originNode, originSeq, globalPosition, eventId, streamId, streamVersion, type, schemaVersion, actorCentre, actorStaff, envelope, prevHash, hash, signature, quarantineReason)
            = try row.decode((String, Int64, Int64, UUID, String, Int64, String, Int, String?, String, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, String?).self)
        self.originNode = originNode
        self.originSeq = originSeq
        self.globalPosition = globalPosition
        self.eventId = eventId
        self.streamId = streamId
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.actorCentre = actorCentre
        self.actorStaff = actorStaff
        self.envelope = Array(buffer: envelope)
        self.prevHash = Array(buffer: prevHash)
        self.hash = Array(buffer: hash)
        self.signature = Array(buffer: signature)
        self.quarantineReason = quarantineReason
    }
}

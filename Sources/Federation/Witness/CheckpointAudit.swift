import CaseDomain
import EventLog
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// What `tongban verify` proves with checkpoints, beyond the chains themselves: no origin's
/// chain in this database is shorter than a checkpoint confirmed here (or handed in from
/// outside), none disagrees with a checkpoint's hash, and no two checkpoints signed by one
/// origin name different hashes for one sequence (that origin told two histories).
public struct CheckpointAudit: Sendable {
    /// One finding, worded for the operator.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable { case truncated, mismatch, equivocation, forged }
        public let kind: Kind
        public let origin: NodeID
        public let detail: String
        public var description: String { "\(kind.rawValue): origin \(origin): \(detail)" }
    }

    /// The outcome: what was checked and what is wrong.
    public struct Report: Sendable {
        /// Per origin, the highest checkpoint checked and how many witnesses cosigned it.
        public var witnessed: [NodeID: (seq: Int64, cosigners: Int)] = [:]
        public var findings: [Finding] = []
        public var isIntact: Bool { findings.isEmpty }
    }

    let client: PostgresClient
    /// The federation's keys; the audit follows the key changes of the log itself.
    let keyring: OriginKeyring
    let logger: Logger

    public init(client: PostgresClient, keyring: OriginKeyring, logger: Logger = Logger(label: "tongban.verify")) {
        self.client = client
        self.keyring = keyring
        self.logger = logger
    }

    /// Checks the checkpoints this node keeps (its own and those confirmed or contested
    /// here) and `external` ones (an exported file), against each other and the log.
    public func audit(external: [SignedCheckpoint] = []) async throws -> Report {
        var report = Report()
        let keyring = try await self.keyring.followingKeyChanges(in: client, logger: logger)
        var sources = try await stored()
        sources += external.map { Source(checkpoint: $0, from: "the checkpoint file", binding: true) }
        var signed: [Source] = []
        for source in sources {
            guard source.checkpoint.isSigned(by: keyring) else {
                report.findings.append(Finding(kind: .forged, origin: source.checkpoint.origin,
                                               detail: "checkpoint seq \(source.checkpoint.seq) from \(source.from) is not signed by its origin's key"))
                continue
            }
            signed.append(source)
        }
        report.findings += Self.equivocations(in: signed)
        let heads = try await chainHeads()
        for (origin, group) in Dictionary(grouping: signed, by: { $0.checkpoint.origin }) {
            if let highest = group.filter(\.binding).max(by: { $0.checkpoint.seq < $1.checkpoint.seq }) {
                report.findings += truncation(of: origin, held: heads[origin, default: 0], highest: highest, keyring: keyring, witnessed: &report.witnessed)
            }
            for source in group {
                guard let hash = try await hash(of: origin, seq: source.checkpoint.seq), hash != source.checkpoint.hash else { continue }
                report.findings.append(Finding(kind: .mismatch, origin: origin, detail:
                    "seq \(source.checkpoint.seq) holds hash \(hash.hex.prefix(16))… but the checkpoint from \(source.from) "
                    + "(signed \(source.checkpoint.signedAt)) says \(source.checkpoint.hash.hex.prefix(16))…"))
            }
        }
        report.findings.sort { ($0.origin.rawValue, $0.kind.rawValue, $0.detail) < ($1.origin.rawValue, $1.kind.rawValue, $1.detail) }
        return report
    }

    /// The finding when `origin`'s chain (held up to `held`) is shorter than its highest
    /// binding checkpoint; records what was witnessed.
    private func truncation(of origin: NodeID, held: Int64, highest: Source, keyring: OriginKeyring,
                            witnessed: inout [NodeID: (seq: Int64, cosigners: Int)]) -> [Finding] {
        let cosigners = highest.checkpoint.validCosignatures(in: keyring).keys.map(\.rawValue).sorted()
        witnessed[origin] = (highest.checkpoint.seq, cosigners.count)
        guard held < highest.checkpoint.seq else { return [] }
        let witnesses = cosigners.isEmpty ? "no cosignature" : "cosigned by \(cosigners.joined(separator: ", "))"
        return [Finding(kind: .truncated, origin: origin, detail:
            "the chain ends at seq \(held), but checkpoint seq \(highest.checkpoint.seq) (hash \(highest.checkpoint.hash.hex.prefix(16))…, "
            + "signed \(highest.checkpoint.signedAt), \(witnesses), from \(highest.from)) shows events up to it: the newest were deleted")]
    }

    /// Checkpoints of one origin and sequence with different hashes, each pair named.
    static func equivocations(in signed: [Source]) -> [Finding] {
        var findings: [Finding] = []
        let bySequence = Dictionary(grouping: signed) { "\($0.checkpoint.origin) \($0.checkpoint.seq)" }
        for group in bySequence.values {
            var seen: [EventHash: Source] = [:]
            for source in group where seen[source.checkpoint.hash] == nil { seen[source.checkpoint.hash] = source }
            let distinct = seen.values.sorted { $0.checkpoint.hash.hex < $1.checkpoint.hash.hex }
            guard let first = distinct.first, distinct.count > 1 else { continue }
            for other in distinct.dropFirst() {
                findings.append(Finding(kind: .equivocation, origin: first.checkpoint.origin, detail:
                    "signed two histories at seq \(first.checkpoint.seq): hash \(first.checkpoint.hash.hex.prefix(16))… "
                    + "(signed \(first.checkpoint.signedAt), from \(first.from)) and hash \(other.checkpoint.hash.hex.prefix(16))… "
                    + "(signed \(other.checkpoint.signedAt), from \(other.from))"))
            }
        }
        return findings
    }

    /// A checkpoint checked, where it came from, and whether the log must reach it (it was
    /// confirmed here, or an operator handed it in): one still ahead of a node that is
    /// catching up binds nothing yet.
    struct Source {
        var checkpoint: SignedCheckpoint
        var from: String
        var binding: Bool
    }

    /// Per origin, the newest confirmed checkpoint and every contested one, with who sent it.
    private func stored() async throws -> [Source] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT origin, origin_seq, event_hash, signed_at_ms, signature, received_from, confirmed FROM checkpoints c
             WHERE \(CheckpointStore.newestOrContested) ORDER BY origin, origin_seq, event_hash
            """), logger: logger)
        var found: [Source] = []
        for try await row in rows.decode((String, Int64, ByteBuffer, Int64, ByteBuffer, String, Bool).self) {
            if let checkpoint = CheckpointStore.checkpoint((row.0, row.1, row.2, row.3, row.4)) {
                found.append(Source(checkpoint: checkpoint, from: row.5, binding: row.6))
            }
        }
        let cosigned = try await CheckpointStore.withCosignatures(found.map(\.checkpoint), client: client, logger: logger)
        return zip(cosigned, found).map { Source(checkpoint: $0, from: $1.from, binding: $1.binding) }
    }

    private func chainHeads() async throws -> [NodeID: Int64] {
        let rows = try await client.query("SELECT origin_node, max(origin_seq) FROM events GROUP BY origin_node", logger: logger)
        var heads: [NodeID: Int64] = [:]
        for try await (origin, seq) in rows.decode((String, Int64).self) {
            if let origin = NodeID(rawValue: origin) { heads[origin] = seq }
        }
        return heads
    }

    private func hash(of origin: NodeID, seq: Int64) async throws -> EventHash? {
        let rows = try await client.query("SELECT hash FROM events WHERE origin_node = \(origin.rawValue) AND origin_seq = \(seq)", logger: logger)
        for try await bytes in rows.decode(ByteBuffer.self) { return EventHash(bytes: Array(bytes.readableBytesView)) }
        return nil
    }
}

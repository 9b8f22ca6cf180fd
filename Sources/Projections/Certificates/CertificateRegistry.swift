import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// The certificate register: each issued certificate by id and by its holder's blind
/// indexes, with the hash of its issuing event and its revocation. The holder's details are
/// sealed in new events and left out (NULL); a certificate issued before sealing keeps its
/// plain ID number, name and basis, and has no index.
public struct CertificateRegistryProjection: Projection {
    public let name = "certificates"
    public let tables = ["certificates"]

    public init() {}

    /// Inserts the batch's certificates, then records its revocations (a certificate may be
    /// issued and revoked within one batch), one statement each.
    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        var issued: [(id: String, event: HardshipCertificate.Event.Issued, node: String, hash: String)] = []
        var revoked: (ids: [String], reasons: [String]) = ([], [])
        for event in batch {
            guard case .certificate(let id, let certificateEvent)? = event.domain else { continue }
            switch certificateEvent {
            case .issued(let body): issued.append((id, body, event.envelope.originNode.rawValue, event.recorded.signed.hash.hex))
            case .revoked(let body):
                revoked.ids.append(id)
                revoked.reasons.append(body.reason)
            }
        }
        if !issued.isEmpty {
            // A sealed field reads as "" (a placeholder), as does an index an event before sealing
            // lacks: NULL, never stored as if it were the holder's.
            _ = try await connection.query("""
                INSERT INTO certificates (certificate_id, id_number, holder_name, holder_index, holder_name_index, issuing_node,
                                          issuing_centre, issuing_event_hash, basis, standard, valid_from, valid_until)
                SELECT id, NULLIF(id_number, ''), NULLIF(holder, ''), NULLIF(holder_index, ''), NULLIF(holder_name_index, ''), node,
                       centre, hash, NULLIF(basis, ''), standard,
                       'epoch'::timestamptz + valid_from * interval '1 millisecond', 'epoch'::timestamptz + valid_until * interval '1 millisecond'
                  FROM unnest(\(issued.map(\.id)), \(issued.map(\.event.idNumber)), \(issued.map(\.event.holderName)),
                              \(issued.map { $0.event.holderIndex ?? "" }), \(issued.map { $0.event.holderNameIndex ?? "" }), \(issued.map(\.node)),
                              \(issued.map(\.event.issuingCentre.rawValue)), \(issued.map(\.hash)), \(issued.map(\.event.basis)),
                              \(issued.map(\.event.standard)), \(issued.map(\.event.validFrom.millisecondsSinceEpoch)),
                              \(issued.map(\.event.validUntil.millisecondsSinceEpoch)))
                       AS c(id, id_number, holder, holder_index, holder_name_index, node, centre, hash, basis, standard, valid_from, valid_until)
                """, logger: logger)
        }
        if !revoked.ids.isEmpty {
            _ = try await connection.query("""
                UPDATE certificates SET revocation_reason = r.reason FROM unnest(\(revoked.ids), \(revoked.reasons)) AS r(id, reason)
                 WHERE certificate_id = r.id
                """, logger: logger)
        }
    }
}

/// Looks certificates up in the register, brought up to the log's head first (as
/// ``CaseRecords`` does the case view), so a certificate is found as soon as it is issued.
public struct CertificateRegistry: Sendable {
    /// A register entry. The holder's details are `nil` for a certificate issued with them
    /// sealed; its indexes are `nil` for one issued before sealing.
    public struct Entry: Sendable, Hashable {
        public var certificateID: String
        public var idNumber: String?
        public var holderName: String?
        public var holderIndex: String?
        public var holderNameIndex: String?
        public var issuingNode: String
        public var issuingCentre: String
        public var issuingEventHash: String
        public var basis: String?
        public var standard: String
        public var validFrom: Timestamp
        public var validUntil: Timestamp
        /// Set once revoked; empty where the reason is sealed.
        public var revocationReason: String?
    }

    private let client: PostgresClient
    private let projector: Projector
    private let maximumCatchUp: Int64
    private let logger: Logger

    public init(client: PostgresClient, maximumCatchUp: Int64 = 5000, logger: Logger = Logger(label: "tongban.certificates")) {
        self.client = client
        self.projector = Projector(projection: CertificateRegistryProjection(), client: client, logger: logger)
        self.maximumCatchUp = maximumCatchUp
        self.logger = logger
    }

    /// The certificate `certificateID`, or `nil`.
    public func entry(id certificateID: String) async throws -> Entry? {
        try await projector.catchUpForRead(limit: maximumCatchUp)
        return try await entries(PostgresQuery(unsafeSQL: Self.select + " WHERE certificate_id = $1", binds: PostgresBindings(text: certificateID))).first
    }

    /// The certificates whose holder has both indexes, oldest first; and, of those issued
    /// before sealing, the ones issued to `legacyIDNumber` (their name is the caller's to check).
    public func entries(holderIndex: String, holderNameIndex: String, legacyIDNumber: String) async throws -> [Entry] {
        try await projector.catchUpForRead(limit: maximumCatchUp)
        return try await entries("""
            \(unescaped: Self.select)
             WHERE (holder_index = \(holderIndex) AND holder_name_index = \(holderNameIndex))
                OR (holder_index IS NULL AND id_number = \(legacyIDNumber))
             ORDER BY valid_from, certificate_id
            """)
    }

    private static let select = """
        SELECT certificate_id, id_number, holder_name, holder_index, holder_name_index, issuing_node, issuing_centre, issuing_event_hash,
               basis, standard, (extract(epoch FROM valid_from) * 1000)::bigint, (extract(epoch FROM valid_until) * 1000)::bigint,
               revocation_reason
          FROM projections.certificates
        """

    private func entries(_ query: PostgresQuery) async throws -> [Entry] {
        let rows = try await client.query(query, logger: logger)
        var entries: [Entry] = []
        for try await (id, number, holder, index, nameIndex, node, centre, hash, basis, standard, from, until, revoked)
            in rows.decode((String, String?, String?, String?, String?, String, String, String, String?, String, Int64, Int64, String?).self) {
            entries.append(Entry(certificateID: id, idNumber: number, holderName: holder, holderIndex: index, holderNameIndex: nameIndex,
                                 issuingNode: node, issuingCentre: centre, issuingEventHash: hash, basis: basis, standard: standard,
                                 validFrom: Timestamp(millisecondsSinceEpoch: from), validUntil: Timestamp(millisecondsSinceEpoch: until),
                                 revocationReason: revoked))
        }
        return entries
    }
}

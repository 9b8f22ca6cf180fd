import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// The certificate register: each issued certificate by id and holder ID number, with the
/// hash of its issuing event and its revocation.
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
            _ = try await connection.query("""
                INSERT INTO certificates (certificate_id, id_number, holder_name, issuing_node, issuing_centre, issuing_event_hash,
                                          basis, standard, valid_from, valid_until)
                SELECT id, id_number, holder, node, centre, hash, basis, standard,
                       'epoch'::timestamptz + valid_from * interval '1 millisecond', 'epoch'::timestamptz + valid_until * interval '1 millisecond'
                  FROM unnest(\(issued.map(\.id)), \(issued.map(\.event.idNumber)), \(issued.map(\.event.holderName)), \(issued.map(\.node)),
                              \(issued.map(\.event.issuingCentre.rawValue)), \(issued.map(\.hash)), \(issued.map(\.event.basis)),
                              \(issued.map(\.event.standard)), \(issued.map(\.event.validFrom.millisecondsSinceEpoch)),
                              \(issued.map(\.event.validUntil.millisecondsSinceEpoch)))
                       AS c(id, id_number, holder, node, centre, hash, basis, standard, valid_from, valid_until)
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
    /// A register entry.
    public struct Entry: Sendable, Hashable {
        public var certificateID: String
        public var idNumber: String
        public var holderName: String
        public var issuingNode: String
        public var issuingCentre: String
        public var issuingEventHash: String
        public var basis: String
        public var standard: String
        public var validFrom: Timestamp
        public var validUntil: Timestamp
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
        return try await entries(where: "certificate_id", equals: certificateID).first
    }

    /// The certificates issued to `idNumber`, oldest first.
    public func entries(idNumber: String) async throws -> [Entry] {
        try await projector.catchUpForRead(limit: maximumCatchUp)
        return try await entries(where: "id_number", equals: idNumber)
    }

    private func entries(where column: StaticString, equals value: String) async throws -> [Entry] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT certificate_id, id_number, holder_name, issuing_node, issuing_centre, issuing_event_hash, basis, standard,
                   (extract(epoch FROM valid_from) * 1000)::bigint, (extract(epoch FROM valid_until) * 1000)::bigint, revocation_reason
              FROM projections.certificates WHERE \(column) = $1 ORDER BY valid_from, certificate_id
            """, binds: PostgresBindings(text: value)), logger: logger)
        var entries: [Entry] = []
        for try await (id, number, holder, node, centre, hash, basis, standard, from, until, revoked)
            in rows.decode((String, String, String, String, String, String, String, String, Int64, Int64, String?).self) {
            entries.append(Entry(certificateID: id, idNumber: number, holderName: holder, issuingNode: node, issuingCentre: centre,
                                 issuingEventHash: hash, basis: basis, standard: standard,
                                 validFrom: Timestamp(millisecondsSinceEpoch: from), validUntil: Timestamp(millisecondsSinceEpoch: until),
                                 revocationReason: revoked))
        }
        return entries
    }
}

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

    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        for event in batch {
            guard case .certificate(let id, let certificateEvent)? = event.domain else { continue }
            switch certificateEvent {
            case .issued(let issued):
                _ = try await connection.query("""
                    INSERT INTO certificates (certificate_id, id_number, holder_name, issuing_node, issuing_centre, issuing_event_hash,
                                              basis, standard, valid_from, valid_until)
                    VALUES (\(id), \(issued.idNumber), \(issued.holderName), \(event.envelope.originNode.rawValue), \(issued.issuingCentre.rawValue),
                            \(event.recorded.signed.hash.hex), \(issued.basis), \(issued.standard), \(issued.validFrom.date), \(issued.validUntil.date))
                    """, logger: logger)
            case .revoked(let revoked):
                _ = try await connection.query("UPDATE certificates SET revocation_reason = \(revoked.reason) WHERE certificate_id = \(id)", logger: logger)
            }
        }
    }
}

/// Looks certificates up in the register.
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
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.certificates")) {
        self.client = client
        self.logger = logger
    }

    /// The certificates issued to `idNumber`, oldest first.
    public func entries(idNumber: String) async throws -> [Entry] {
        let rows = try await client.query("""
            SELECT certificate_id, id_number, holder_name, issuing_node, issuing_centre, issuing_event_hash, basis, standard,
                   (extract(epoch FROM valid_from) * 1000)::bigint, (extract(epoch FROM valid_until) * 1000)::bigint, revocation_reason
              FROM projections.certificates WHERE id_number = \(idNumber) ORDER BY valid_from, certificate_id
            """, logger: logger)
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

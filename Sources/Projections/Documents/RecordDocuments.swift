import CaseDomain
import EventLog
import Logging
import PostgresNIO

/// Which scans each case and investigation refers to, and which centres take part in it:
/// what a node prefetches from its peers for its own centres.
public struct RecordDocumentsProjection: Projection {
    public let name = "record-documents"
    public let tables = ["record_documents", "record_participants"]

    public init() {}

    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        for event in batch {
            switch event.domain {
            case .caseEvent(let caseID, .applicationSubmitted(let submitted))?:
                try await participate(caseID, [submitted.intakeCentre], on: connection, logger: logger)
                try await refer(caseID, to: submitted.documents, on: connection, logger: logger)
            case .caseEvent(let caseID, .materialsSupplied(let supplied))?:
                try await refer(caseID, to: supplied.documents, on: connection, logger: logger)
            case .caseEvent(let caseID, .transferRequested(let transfer))?:
                try await participate(caseID, [transfer.fromCentre, transfer.toCentre], on: connection, logger: logger)
            case .investigation(let id, .requested(let requested))?:
                try await participate(String(requested.caseStream.dropFirst("case-".count)), [requested.toCentre], on: connection, logger: logger)
                try await participate(id, [requested.fromCentre, requested.toCentre], on: connection, logger: logger)
            case .investigation(let id, .reported(let reported))?:
                try await refer(id, to: reported.documents, on: connection, logger: logger)
            default:
                continue
            }
        }
    }

    private func participate(_ record: String, _ centres: [CentreID], on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("""
            INSERT INTO record_participants (record_id, centre) SELECT \(record), unnest(\(centres.map(\.rawValue))::text[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    private func refer(_ record: String, to documents: [Document], on connection: PostgresConnection, logger: Logger) async throws {
        guard !documents.isEmpty else { return }
        _ = try await connection.query("""
            INSERT INTO record_documents (record_id, sha256, media_type)
            SELECT \(record), d.sha256, d.media_type FROM unnest(\(documents.map(\.sha256))::text[], \(documents.map(\.mediaType))::text[]) AS d(sha256, media_type)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}

/// The scans a node's centres need that its database does not hold yet.
public struct RecordDocuments: Sendable {
    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.documents")) {
        self.client = client
        self.logger = logger
    }

    /// Up to `limit` fingerprints of scans that records `centres` take part in refer to and
    /// that the node lacks, leaving out `skipping` (ones no peer had a moment ago).
    public func missing(for centres: Set<CentreID>, skipping: Set<String> = [], limit: Int) async throws -> [String] {
        let rows = try await client.query("""
            SELECT DISTINCT d.sha256
              FROM projections.record_participants p
              JOIN projections.record_documents d USING (record_id)
             WHERE p.centre = ANY(\(centres.map(\.rawValue)))
               AND d.sha256 <> ALL(\(Array(skipping)))
               AND NOT EXISTS (SELECT 1 FROM documents held WHERE held.sha256 = d.sha256)
             LIMIT \(limit)
            """, logger: logger)
        var fingerprints: [String] = []
        for try await sha256 in rows.decode(String.self) { fingerprints.append(sha256) }
        return fingerprints
    }
}

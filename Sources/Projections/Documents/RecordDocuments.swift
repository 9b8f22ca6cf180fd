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

    /// Collects the batch's rows and writes them in two statements.
    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        var participants: (records: [String], centres: [String]) = ([], [])
        var documents: (records: [String], sha256: [String], mediaTypes: [String]) = ([], [], [])
        func participate(_ record: String, _ centres: [CentreID]) {
            for centre in centres {
                participants.records.append(record)
                participants.centres.append(centre.rawValue)
            }
        }
        func refer(_ record: String, to referred: [Document]) {
            for document in referred {
                documents.records.append(record)
                documents.sha256.append(document.sha256)
                documents.mediaTypes.append(document.mediaType)
            }
        }
        for event in batch {
            switch event.domain {
            case .caseEvent(let caseID, .applicationSubmitted(let submitted))?:
                participate(caseID, [submitted.intakeCentre])
                refer(caseID, to: submitted.documents)
            case .caseEvent(let caseID, .materialsSupplied(let supplied))?:
                refer(caseID, to: supplied.documents)
            case .caseEvent(let caseID, .transferRequested(let transfer))?:
                participate(caseID, [transfer.fromCentre, transfer.toCentre])
            case .investigation(let id, .requested(let requested))?:
                participate(StreamID.caseID(ofStream: requested.caseStream) ?? requested.caseStream, [requested.toCentre])
                participate(id, [requested.fromCentre, requested.toCentre])
            case .investigation(let id, .reported(let reported))?:
                refer(id, to: reported.documents)
            default:
                continue
            }
        }
        if !participants.records.isEmpty {
            _ = try await connection.query("""
                INSERT INTO record_participants (record_id, centre) SELECT * FROM unnest(\(participants.records), \(participants.centres))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if !documents.records.isEmpty {
            _ = try await connection.query("""
                INSERT INTO record_documents (record_id, sha256, media_type)
                SELECT * FROM unnest(\(documents.records), \(documents.sha256), \(documents.mediaTypes))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
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

    /// Up to `limit` scans that records `centres` take part in refer to and that the node
    /// lacks, leaving out `skipping` (ones no node had a moment ago): each fingerprint with
    /// the other nodes taking part in such a record — the only ones that may hold it.
    public func missing(for centres: Set<CentreID>, skipping: Set<String> = [], limit: Int) async throws -> [(sha256: String, holders: Set<NodeID>)] {
        let rows = try await client.query("""
            SELECT wanted.sha256, coalesce(array_agg(DISTINCT other.centre), '{}')
              FROM (SELECT DISTINCT d.sha256
                      FROM projections.record_participants p
                      JOIN projections.record_documents d USING (record_id)
                     WHERE p.centre = ANY(\(centres.map(\.rawValue)))
                       AND d.sha256 <> ALL(\(Array(skipping)))
                       AND NOT EXISTS (SELECT 1 FROM documents held WHERE held.sha256 = d.sha256)
                       AND NOT EXISTS (SELECT 1 FROM document_erasures erased WHERE erased.sha256 = d.sha256)
                     LIMIT \(limit)) wanted
              JOIN projections.record_documents d ON d.sha256 = wanted.sha256
              JOIN projections.record_participants other ON other.record_id = d.record_id
             GROUP BY wanted.sha256
            """, logger: logger)
        var wanted: [(sha256: String, holders: Set<NodeID>)] = []
        for try await (sha256, participants) in rows.decode((String, [String]).self) {
            let nodes = Set(participants.compactMap { CentreID(rawValue: $0)?.node }).subtracting(centres.map(\.node))
            wanted.append((sha256, nodes))
        }
        return wanted
    }
}

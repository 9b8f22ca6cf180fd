import CaseDomain
import EventLog
import Logging
import PostgresNIO

/// Which records (cases, investigations) refer to a scan and which centres take part in
/// each, from the record-documents projection: what a node checks before it serves a scan.
///
/// Like ``CaseRecords``, a read first brings the projection up to the log's head, so a
/// scan is readable as soon as the command that refers to it has committed; a projection
/// more than `maximumCatchUp` events behind fails the read with ``ProjectionBehind``.
public struct DocumentReferences: Sendable {
    /// A record that refers to the scan.
    public struct Referrer: Sendable, Hashable {
        /// The case's or the investigation's id.
        public var recordID: String
        /// The centres that take part in the record.
        public var participants: Set<CentreID>
    }

    private let client: PostgresClient
    private let projector: Projector
    private let maximumCatchUp: Int64
    private let logger: Logger

    public init(client: PostgresClient, maximumCatchUp: Int64 = 5000, logger: Logger = Logger(label: "tongban.documents")) {
        self.client = client
        self.projector = Projector(projection: RecordDocumentsProjection(), client: client, logger: logger)
        self.maximumCatchUp = maximumCatchUp
        self.logger = logger
    }

    /// Every record that refers to `sha256`, with its participants, ordered by record id.
    public func referrers(of sha256: String) async throws -> [Referrer] {
        try await projector.catchUpForRead(limit: maximumCatchUp)
        let rows = try await client.query("""
            SELECT d.record_id, coalesce(array_agg(p.centre) FILTER (WHERE p.centre IS NOT NULL), '{}')
              FROM projections.record_documents d
              LEFT JOIN projections.record_participants p USING (record_id)
             WHERE d.sha256 = \(sha256)
             GROUP BY d.record_id ORDER BY d.record_id
            """, logger: logger)
        var referrers: [Referrer] = []
        for try await (recordID, centres) in rows.decode((String, [String]).self) {
            referrers.append(Referrer(recordID: recordID, participants: Set(centres.compactMap(CentreID.init(rawValue:)))))
        }
        return referrers
    }
}

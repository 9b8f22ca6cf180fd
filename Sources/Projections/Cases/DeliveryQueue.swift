import CaseDomain
import Logging
import PostgresNIO

/// The requests of a case (and of its investigations) sent to a centre, with their receipts.
struct CaseDeliveryRows: PostgresPreparedStatement {
    static let sql = "SELECT \(DeliveryRows.columns) FROM projections.deliveries WHERE case_id = $1 ORDER BY requested_at, record, request_version"
    typealias Row = DeliveryRows.Row
    let caseID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(caseID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The requests sent to a node's centres whose delivery the node has not yet recorded,
/// from the case view: what the node's clerk records next.
public struct DeliveryQueue: Sendable {
    private let client: PostgresClient
    private let records: CaseRecords
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.deliveries")) {
        self.client = client
        self.records = CaseRecords(client: client, logger: logger)
        self.logger = logger
    }

    /// At most `limit` unanswered requests to `centres` with no delivery recorded, oldest
    /// first, once the case view is brought up to the log's head.
    public func undelivered(to centres: [CentreID], limit: Int) async throws -> [Delivery.Request] {
        try await records.catchUp()
        let rows = try await client.query("""
            SELECT \(unescaped: DeliveryRows.columns) FROM projections.deliveries
             WHERE recipient = ANY(\(centres.map(\.rawValue))) AND delivered_at IS NULL AND NOT answered AND requested_at IS NOT NULL
             ORDER BY requested_at, record, request_version LIMIT \(limit)
            """, logger: logger)
        var requests: [Delivery.Request] = []
        for try await row in rows.decode(DeliveryRows.Row.self) {
            if let request = DeliveryRows.record(row)?.request { requests.append(request) }
        }
        return requests
    }
}

import CaseDomain
import Logging
import PostgresNIO

/// How many open cases each lawyer of a centre carries, from the case view: what the
/// assignment form shows beside each name of the roster.
public struct LawyerLoads: Sendable {
    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.lawyer-loads")) {
        self.client = client
        self.logger = logger
    }

    /// A lawyer as cases name one: by name and firm.
    public struct Key: Sendable, Hashable {
        public var lawyer: String
        public var firm: String

        public init(lawyer: String, firm: String) {
            self.lawyer = lawyer
            self.firm = firm
        }
    }

    /// The open cases (a lawyer assigned, not yet closed) `centre` handles, per lawyer.
    public func openCases(handledBy centre: CentreID) async throws -> [Key: Int] {
        let rows = try await client.query("""
            SELECT state->>'lawyer', coalesce(state->>'lawyerFirm', ''), count(*)::int FROM projections.case_views
             WHERE owner = \(centre.rawValue) AND phase = 'lawyer-assigned' AND state->>'lawyer' IS NOT NULL
             GROUP BY 1, 2
            """, logger: logger)
        var loads: [Key: Int] = [:]
        for try await (lawyer, firm, count) in rows.decode((String, String, Int).self) { loads[Key(lawyer: lawyer, firm: firm)] = count }
        return loads
    }
}

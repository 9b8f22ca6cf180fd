import CaseDomain
import Casework
import Foundation
import Logging
import PostgresNIO

/// The staff tokens this node no longer accepts, in its own database (`revoked_tokens`,
/// `revoked_staff`; never part of the log): one token by its id, or every token of one
/// staff member at one centre issued up to the revocation. Revocations are only added,
/// never taken back, and every staff request and page session is checked against them,
/// so a revocation holds from the moment it commits, without a restart.
public struct TokenRevocations: Sendable {
    private let client: PostgresClient
    private let logger: Logger

    /// - Parameter client: a running client of the node's database.
    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.tokens")) {
        self.client = client
        self.logger = logger
    }

    /// What a revocation reached: page sessions still open that it ends.
    public struct Outcome: Sendable, Equatable {
        /// False when the token was already revoked (revoking a staff member always adds a moment).
        public var newlyRevoked: Bool
        /// The page sessions signed in with the revoked token(s) that were open until now.
        public var endedSessions: Int
    }

    /// Refuses the token with id `jti` (``StaffClaims/tokenID(_:)``) from now on, and every
    /// page session signed in with it.
    public func revoke(token jti: String) async throws -> Outcome {
        let inserted = try await client.query("""
            INSERT INTO revoked_tokens (jti) VALUES (\(jti)) ON CONFLICT (jti) DO NOTHING RETURNING 1
            """, logger: logger)
        var newlyRevoked = false
        for try await _ in inserted.decode(Int.self) { newlyRevoked = true }
        let sessions = try await count("SELECT count(*)::int FROM page_sessions WHERE jti = \(jti) AND expires_at > now()")
        return Outcome(newlyRevoked: newlyRevoked, endedSessions: sessions)
    }

    /// Refuses every token of `staff` at `centre` issued at or before `now` (tokens issued
    /// later are accepted), and every page session signed in with one of them.
    public func revoke(staff: String, centre: CentreID, now: Date = Date()) async throws -> Outcome {
        _ = try await client.query("""
            INSERT INTO revoked_staff (centre, staff, revoked_before) VALUES (\(centre.rawValue), \(staff), \(now))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let sessions = try await count("""
            SELECT count(*)::int FROM page_sessions
             WHERE centre = \(centre.rawValue) AND staff = \(staff) AND token_issued_at <= \(now) AND expires_at > now()
            """)
        return Outcome(newlyRevoked: true, endedSessions: sessions)
    }

    /// Whether the token `claims` describes has been revoked (one look-up by primary key each).
    func isRevoked(_ claims: StaffClaims) async throws -> Bool {
        let check = RevocationCheck(jti: claims.jti.value, centre: claims.centre.rawValue, staff: claims.staff, issuedAt: claims.iat.value)
        return try await client.rows(of: check, logger: logger).first ?? true
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await count in try await client.query(query, logger: logger).decode(Int.self) { return count }
        return 0
    }
}

/// Whether a token, or every token its staff member held when it was issued, is revoked:
/// asked on every request, so a prepared statement (parsed and planned once per connection).
struct RevocationCheck: PostgresPreparedStatement {
    static let sql = """
        SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)
            OR EXISTS (SELECT 1 FROM revoked_staff WHERE centre = $2 AND staff = $3 AND revoked_before >= $4)
        """
    typealias Row = Bool
    let jti: String
    let centre: String
    let staff: String
    let issuedAt: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(jti)
        bindings.append(centre)
        bindings.append(staff)
        bindings.append(issuedAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Bool.self) }
}

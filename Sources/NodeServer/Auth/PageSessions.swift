import CaseDomain
import Casework
import Crypto
import Foundation
import Logging
import PostgresNIO

/// The secret of a page session: 32 random bytes, which only the browser's cookie holds (as
/// 64 hex digits). The node stores its SHA-256, and derives the session's CSRF token from it.
struct SessionSecret: Sendable, Hashable {
    let bytes: [UInt8]

    /// A fresh random secret.
    static func random() -> SessionSecret {
        var generator = SystemRandomNumberGenerator()
        return SessionSecret(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The secret a cookie holds, if it is 64 lowercase hex digits.
    init?(cookie: String) {
        let digits = Array(cookie.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// The cookie's value.
    var cookie: String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// What the database keys the session by.
    var hash: [UInt8] { Array(SHA256.hash(data: bytes)) }
}

/// The page sessions of a node's staff pages, in its own database (`page_sessions`; never
/// part of the log). A session is opened by signing in with a valid token, lasts at most
/// ``absoluteLifetime`` (never past the token's expiry) and ends after ``idleTimeout``
/// without a request, on sign-out, or as soon as its token or staff member is revoked
/// (``TokenRevocations``): every request resumes it with one statement that checks all of it.
struct PageSessions: Sendable {
    /// The longest a session lasts after sign-in.
    static let absoluteLifetime: TimeInterval = 8 * 3600
    /// A session without a request for this long has ended.
    static let idleTimeout: TimeInterval = 30 * 60
    /// The most sessions one token holds open at once: a further sign-in ends the oldest.
    static let sessionsPerToken = 16

    let client: PostgresClient
    /// The node the sessions are of (the issuer of their tokens).
    let node: NodeID
    let logger: Logger

    /// A new session for the holder of the token `claims` describes (verified, not revoked):
    /// its secret and when it ends at the latest.
    func open(for claims: StaffClaims, now: Date = Date()) async throws -> (secret: SessionSecret, expiresAt: Date) {
        let jti = claims.jti.value
        let secret = SessionSecret.random()
        let expiresAt = min(now.addingTimeInterval(Self.absoluteLifetime), claims.exp.value)
        let stale = now.addingTimeInterval(-Self.idleTimeout)
        let hash = ByteBuffer(bytes: secret.hash)
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("DELETE FROM page_sessions WHERE expires_at <= \(now) OR last_seen_at <= \(stale)", logger: logger)
            _ = try await connection.query("""
                INSERT INTO page_sessions (session_hash, jti, centre, staff, role, token_issued_at, created_at, last_seen_at, expires_at)
                VALUES (\(hash), \(jti), \(claims.centre.rawValue), \(claims.staff), \(claims.role.rawValue), \(claims.iat.value),
                        \(now), \(now), \(expiresAt))
                """, logger: logger)
            _ = try await connection.query("""
                DELETE FROM page_sessions WHERE jti = \(jti) AND session_hash NOT IN (
                    SELECT session_hash FROM page_sessions WHERE jti = \(jti) ORDER BY created_at DESC LIMIT \(Self.sessionsPerToken))
                """, logger: logger)
        }
        return (secret, expiresAt)
    }

    /// The staff member of the session `secret` opens, if it is open at `now` (within both
    /// limits, its token and staff member not revoked); marks it used at `now`.
    func resume(_ secret: SessionSecret, now: Date = Date()) async throws -> StaffClaims? {
        let stale = now.addingTimeInterval(-Self.idleTimeout)
        let rows = try await client.query("""
            UPDATE page_sessions s SET last_seen_at = greatest(s.last_seen_at, \(now))
             WHERE s.session_hash = \(ByteBuffer(bytes: secret.hash)) AND s.expires_at > \(now) AND s.last_seen_at > \(stale)
               AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = s.jti)
               AND NOT EXISTS (SELECT 1 FROM revoked_staff r
                                WHERE r.centre = s.centre AND r.staff = s.staff AND r.revoked_before >= s.token_issued_at)
            RETURNING s.jti, s.centre, s.staff, s.role, s.token_issued_at, s.expires_at
            """, logger: logger)
        for try await (jti, centre, staff, role, issuedAt, expiresAt) in rows.decode((String, String, String, String, Date, Date).self) {
            guard let centre = CentreID(rawValue: centre), let role = StaffRole(rawValue: role) else { return nil }
            return StaffClaims(sub: .init(value: staff), centre: centre, role: role, iss: .init(value: node.rawValue),
                               iat: .init(value: issuedAt), exp: .init(value: expiresAt), jti: .init(value: jti))
        }
        return nil
    }

    /// Ends the session `secret` opens (signing out): it is gone at once.
    func end(_ secret: SessionSecret) async throws {
        _ = try await client.query("DELETE FROM page_sessions WHERE session_hash = \(ByteBuffer(bytes: secret.hash))", logger: logger)
    }
}

import CaseDomain
import Casework
import EventLog
import Foundation
import JWTKit

/// The claims of a staff token: who, for which centre, in which role, issued by which node,
/// when and until when, under which id. An EdDSA-signed JWT whose header names the node's
/// token key (`kid`).
public struct StaffClaims: JWTPayload {
    /// The staff member's id.
    public var sub: SubjectClaim
    public var centre: CentreID
    public var role: StaffRole
    /// The node that issued (and alone accepts) the token.
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    /// The token's id, a UUID in lowercase (``TokenAuthority/verify(_:now:)`` checks it):
    /// what `tongban token revoke --jti` names.
    public var jti: IDClaim

    public var staff: String { sub.value }

    /// Whom the token names, as the application layer knows staff.
    public var member: StaffMember { StaffMember(staff: staff, centre: centre, role: role) }

    /// `text` as a token id is spelt (a UUID in lowercase), if it is one in any spelling.
    public static func tokenID(_ text: String) -> String? {
        UUID(uuidString: text).map { $0.uuidString.lowercased() }
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Why a token cannot be issued.
public enum StaffTokenError: Error, Equatable, CustomStringConvertible {
    /// The lifetime asked for is not within 1 s ... ``TokenAuthority/maximumLifetime``.
    case lifetimeOutOfRange(seconds: Int64)

    public var description: String {
        switch self {
        case .lifetimeOutOfRange(let seconds):
            "a staff token lives between 1 second and \(TokenAuthority.maximumLifetime.components.seconds / 86_400) days, not \(seconds) seconds"
        }
    }
}

/// Issues and verifies a node's staff tokens with the node's staff-token key
/// (``StaffTokenKey``), never with its event key. A token is accepted only when its header
/// names this key's `kid` and the key's signature holds, it was issued by this node for at
/// most ``maximumLifetime``, and it has an id (`jti`) and has not expired. Whether it has
/// been revoked is ``TokenRevocations``' to say.
public struct TokenAuthority: Sendable {
    /// The longest a staff token may live: `issue` refuses more, `verify` refuses a token
    /// whose `exp` is further than this after its `iat`.
    public static let maximumLifetime: Duration = .seconds(30 * 86_400)
    /// How far in the future a token's `iat` may lie (the issuing machine's clock ahead).
    static let allowedClockSkew: TimeInterval = 60

    private let keys: JWTKeyCollection
    /// The node whose tokens these are.
    public let node: NodeID
    /// The `kid` every token of this node names.
    public let kid: String

    /// The authority of `key`'s node: it signs with `key` alone and accepts only tokens naming its `kid`.
    public init(key: StaffTokenKey) async {
        self.node = key.node
        self.kid = key.kid
        self.keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
    }

    /// A token for `staff` at `centre`, valid for `validity` from `now` (whole seconds),
    /// with the id `id`.
    public func issue(centre: CentreID, staff: String, role: StaffRole, validity: Duration, now: Date = Date(),
                      id: UUID = UUID()) async throws -> String {
        let seconds = validity.components.seconds
        guard validity >= .seconds(1), validity <= Self.maximumLifetime else { throw StaffTokenError.lifetimeOutOfRange(seconds: seconds) }
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = StaffClaims(
            sub: .init(value: staff), centre: centre, role: role, iss: .init(value: node.rawValue),
            iat: .init(value: issued), exp: .init(value: issued.addingTimeInterval(Double(seconds))),
            jti: .init(value: id.uuidString.lowercased())
        )
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// The claims of `token`, if this node's token key signed it, it names a staff member and
    /// an id, and it is within its bounded lifetime at `now`.
    public func verify(_ token: String, now: Date = Date()) async throws(Problem) -> StaffClaims {
        let header = try Self.header(of: token)
        guard header.alg == "EdDSA" else { throw Problem(.unauthorized, "the bearer token is not an EdDSA token of this node (alg \(header.alg))") }
        guard let named = header.kid else {
            throw Problem(.unauthorized, "the bearer token names no key (kid): staff tokens are signed with the node's token key, never its event key")
        }
        guard named == kid else {
            throw Problem(.unauthorized, "the bearer token names key \(named.prefix(80)), not node \(node)'s token key \(kid)")
        }
        let claims: StaffClaims
        do {
            claims = try await keys.verify(token, as: StaffClaims.self)
        } catch {
            throw Problem(.unauthorized, "the bearer token is not valid here: \(Self.describe(error))")
        }
        guard claims.iss.value == node.rawValue else {
            throw Problem(.unauthorized, "the token was issued for node \(claims.iss.value), not \(node)")
        }
        guard !claims.staff.isEmpty else { throw Problem(.unauthorized, "the token names no staff member") }
        guard StaffClaims.tokenID(claims.jti.value) == claims.jti.value else {
            throw Problem(.unauthorized, "the token has no id (jti, a UUID in lowercase)")
        }
        guard claims.exp.value > now else { throw Problem(.unauthorized, "the bearer token is not valid here: expired") }
        guard claims.iat.value.timeIntervalSince(now) <= Self.allowedClockSkew else {
            throw Problem(.unauthorized, "the token is issued in the future (iat \(claims.iat.value))")
        }
        let lifetime = claims.exp.value.timeIntervalSince(claims.iat.value)
        guard lifetime > 0, lifetime <= Double(Self.maximumLifetime.components.seconds) else {
            throw Problem(.unauthorized, "the token lives \(Int(lifetime)) s from iat to exp: at most \(Self.maximumLifetime.components.seconds) s is accepted")
        }
        return claims
    }

    /// The fields of a JWT's header this node checks before it verifies anything else.
    private struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    private static func header(of token: String) throws(Problem) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URL: parts[0]), let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw Problem(.unauthorized, "the bearer token is not valid here: malformed")
        }
        return header
    }

    private static func describe(_ error: any Error) -> String {
        if let jwtError = error as? JWTError {
            switch jwtError.errorType {
            case .claimVerificationFailure: return "expired"
            case .signatureVerificationFailed: return "bad signature"
            case .malformedToken: return "malformed"
            default: return jwtError.reason ?? "\(jwtError.errorType)"
            }
        }
        return "malformed"
    }
}

extension Data {
    /// The bytes of unpadded base64url text (RFC 4648 §5), as JWTs spell them.
    fileprivate init?(base64URL text: Substring) {
        guard !text.contains("=") else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}

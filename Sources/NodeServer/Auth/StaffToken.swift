import CaseDomain
import EventLog
import Foundation
import JWTKit

/// What a staff member may do: centre staff act for their centre, a supervisor (the city's
/// justice bureau) also rules on objections, an auditor reads everything and writes nothing.
public enum StaffRole: String, Sendable, Hashable, Codable, CaseIterable {
    case staff
    case supervisor
    case auditor
}

/// The claims of a staff token: who, for which centre, in which role, issued by which node,
/// until when. An EdDSA-signed JWT.
public struct StaffClaims: JWTPayload {
    /// The staff member's id.
    public var sub: SubjectClaim
    public var centre: CentreID
    public var role: StaffRole
    /// The node that issued (and alone accepts) the token.
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public var staff: String { sub.value }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and verifies a node's staff tokens with the node's Ed25519 key.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection
    /// The node whose tokens these are.
    public let node: NodeID

    public init(signingKey: NodeSigningKey) async {
        self.node = signingKey.node
        self.keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: signingKey.privateKey))
    }

    /// A token for `staff` at `centre`, valid for `validity` from `now`.
    public func issue(centre: CentreID, staff: String, role: StaffRole, validity: Duration, now: Date = Date()) async throws -> String {
        let claims = StaffClaims(
            sub: .init(value: staff), centre: centre, role: role, iss: .init(value: node.rawValue),
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(Double(validity.components.seconds)))
        )
        return try await keys.sign(claims)
    }

    /// The claims of `token`, if this node signed it and it has not expired.
    public func verify(_ token: String) async throws(Problem) -> StaffClaims {
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
        return claims
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

import CaseDomain
import Casework
import Hummingbird

/// The request context of a node: Hummingbird's core plus the verified staff member, once
/// ``StaffAuthentication`` has checked the token.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The verified claims of the caller's staff token.
    public var staff: StaffClaims?
    /// The node that signed the request, once ``NodeAuthentication`` has checked it.
    var peer: NodeID?
    /// The secret of a signed-in page session, as its cookie holds it (its CSRF token derives from it).
    var sessionToken: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Scans are uploaded whole; the limit is the largest document accepted.
    public var maxUploadSize: Int { 32 * 1024 * 1024 }

    /// The verified staff member; a route behind ``StaffAuthentication`` always has one.
    func requireStaff() throws(Problem) -> StaffMember {
        guard let staff else { throw Problem(.unauthorized, "this endpoint needs a staff token") }
        return staff.member
    }
}

extension NodeRequestContext {
    /// The signing node of a request that speaks for `centre`: a node asks only for its own
    /// centres (a cancellation, an extension's decision). `what` names the request in refusals.
    func peer(speakingFor centre: CentreID, _ what: String) throws(Problem) -> NodeID {
        guard let peer else { throw Problem(.unauthorized, "\(what) come from nodes only") }
        guard centre.node == peer else {
            throw Problem(.forbidden, "\(peer) may not speak for \(centre), a centre of \(centre.node)")
        }
        return peer
    }
}

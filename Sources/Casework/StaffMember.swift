import CaseDomain

/// What a staff member may do: centre staff act for their centre, a supervisor (the city's
/// justice bureau) also rules on objections, an auditor reads everything and writes nothing.
public enum StaffRole: String, Sendable, Hashable, Codable, CaseIterable {
    case staff
    case supervisor
    case auditor
}

/// Who gives a command or reads a record: a staff member of a centre, in a role, as the
/// node's authentication (a token, a page session) vouched for them.
public struct StaffMember: Sendable, Hashable {
    /// The staff member's id.
    public var staff: String
    /// The centre they act for, one this node serves.
    public var centre: CentreID
    public var role: StaffRole

    /// Whom a token or a page session names.
    public init(staff: String, centre: CentreID, role: StaffRole) {
        self.staff = staff
        self.centre = centre
        self.role = role
    }
}

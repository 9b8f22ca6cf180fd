/// Why a receiving centre sends a transfer back: the codes of the national legal-aid
/// system's return slip, shown in the sender's inbox item.
public enum TransferReturnCode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The matter is heard elsewhere: the case belongs to another centre.
    case wrongJurisdiction = "wrong-jurisdiction"
    /// The receiving centre (or its lawyers) acts for the adverse party.
    case conflictOfInterest = "conflict-of-interest"
    /// The applicant does not meet the receiving city's criteria.
    case notEligibleLocally = "not-eligible-locally"
    /// The receiving centre already handles this matter for this applicant.
    case duplicate
    case other
}

extension CaseEvent {
    /// How this event answered a pending transfer (`accepted by …`), or `nil` if it did
    /// not: what a refusal tells the one who lost a race to it.
    public var transferAnswer: String? {
        switch self {
        case .transferAccepted(let accepted): "accepted by \(accepted.centre)"
        case .transferReturned(let returned): "returned by \(returned.centre) (\((returned.reasonCode ?? .other).rawValue))"
        case .transferCancelled(let cancelled): "cancelled by the sending centre \(cancelled.centre)"
        default: nil
        }
    }
}

extension CaseCommand {
    /// The command answers a pending transfer: accept, return or cancel.
    public var answersTransfer: Bool {
        switch self {
        case .acceptTransfer, .returnTransfer, .cancelTransfer: true
        default: false
        }
    }
}

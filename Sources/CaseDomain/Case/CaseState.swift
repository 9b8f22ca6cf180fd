/// A case as its events have made it. Only ``CaseLifecycle/evolve(_:_:)`` changes it.
public struct CaseState: Sendable, Hashable, Codable {
    /// Where the case stands.
    public enum Phase: String, Sendable, Hashable, Codable {
        case new
        /// Submitted; the owning centre reviews it.
        case submitted
        /// Eligible but materials are missing; the decision clock waits.
        case awaitingMaterials = "awaiting-materials"
        /// Assessed and complete: the owner decides or transfers it.
        case readyForDecision = "ready-for-decision"
        /// Handed to another centre, which alone may accept or return it.
        case transferPending = "transfer-pending"
        case refused
        case objectionPending = "objection-pending"
        /// Aid granted; a lawyer is due.
        case granted
        case lawyerAssigned = "lawyer-assigned"
        case closed
        case archived
        case withdrawn
    }

    public internal(set) var phase: Phase = .new
    /// The number of events applied: the stream's version.
    public internal(set) var version: Int64 = 0
    public internal(set) var intakeCentre: CentreID?
    /// The centre that may act on the case now.
    public internal(set) var owner: CentreID?
    public internal(set) var jurisdictionCentre: CentreID?
    /// While a transfer is pending: the centre that alone may answer it.
    public internal(set) var transferTarget: CentreID?
    public internal(set) var urgent = false
    public internal(set) var cause: String?
    public internal(set) var number: String?
    public internal(set) var lawyer: String?
    public internal(set) var lawyerFirm: String?
    public internal(set) var originalsCollected = false
    /// The justice bureau ordered aid after an objection: the owner may not deny again.
    public internal(set) var aidOrdered = false
    /// An urgent case whose aid started before the decision.
    public internal(set) var advanceAid = false
    public internal(set) var materialsDueAt: Timestamp?
    public internal(set) var decisionDueAt: Timestamp?
    public internal(set) var lawyerDueAt: Timestamp?
    public internal(set) var subsidyPaidBy: NodeID?
    public internal(set) var subsidyAmount: Int64?
    public internal(set) var followUps = 0
    /// What the applicant consented to share; `nil` before the application, or in one
    /// recorded before consent was asked.
    public internal(set) var consent: Consent?
    /// The case's personal data was erased (it still counts, in its phase).
    public internal(set) var erased = false

    public init() {}

    /// The state after `events`, from nothing.
    public init(replaying events: some Sequence<CaseEvent>) {
        self = events.reduce(CaseState(), CaseLifecycle.evolve)
    }
}

extension CaseState {
    /// The node that alone may append the case's next event (invariant 5): the target's
    /// while a transfer is pending, otherwise the owner's. `nil` before the case exists,
    /// when the event that creates it may come from the node of the centre submitting it.
    public var writingNode: NodeID? {
        if phase == .transferPending, let transferTarget { return transferTarget.node }
        return owner?.node
    }
}

/// What staff (or the system, or a supervisor) ask of a case.
public enum CaseCommand: Sendable, Hashable {
    case submit(applicant: Applicant, matter: Matter, urgent: Bool, hardship: HardshipBasis, documents: [Document], consent: Consent)
    case assess(eligible: Bool, reason: String, missing: [String])
    case supplyMaterials(documents: [Document])
    /// Materials not supplied by their due date: the application is deemed withdrawn.
    case deemWithdrawn
    /// An urgent case: aid starts before the decision (先行提供); a lawyer may be assigned at once.
    case startAdvanceAid(reason: String)
    /// A transfer shares the application: it needs the applicant's consent or `legalBasis`.
    case requestTransfer(to: CentreID, reason: String, legalBasis: String? = nil)
    case acceptTransfer
    /// The receiving centre sends the case back, with a coded reason.
    case returnTransfer(code: TransferReturnCode, reason: String)
    /// The sending centre withdraws a transfer the target has not answered. Recorded by the
    /// target's node (the stream's one writer while the transfer is pending) on the
    /// request of `requestedBy`, a staff member of the sending centre; the context's actor
    /// is then the system.
    case cancelTransfer(reason: String, requestedBy: Actor)
    /// Grant or deny; a grant takes the case number the caller allotted (``CaseContext/allottedNumber``).
    case decide(granted: Bool, reason: String)
    case fileObjection(reason: String)
    case ruleOnObjection(orderAid: Bool, reason: String)
    case assignLawyer(lawyer: String, firm: String, chosenByApplicant: Bool)
    case changeLawyer(lawyer: String, firm: String, reason: String)
    case collectOriginals
    case close(outcome: String, recoveredAmount: Int64)
    case archive
    case recordFollowUp(satisfied: Bool, note: String)
    /// The owning centre's supervisor erases an archived case once its city's retention
    /// period has passed: every node destroys the case's keys.
    case erase(reason: String)

    /// The command's name, as errors report it.
    public var name: String { kind.rawValue }

    /// Which command this is.
    public var kind: Kind {
        switch self {
        case .submit: .submit
        case .assess: .assess
        case .supplyMaterials: .supplyMaterials
        case .deemWithdrawn: .deemWithdrawn
        case .startAdvanceAid: .startAdvanceAid
        case .requestTransfer: .requestTransfer
        case .acceptTransfer: .acceptTransfer
        case .returnTransfer: .returnTransfer
        case .cancelTransfer: .cancelTransfer
        case .decide: .decide
        case .fileObjection: .fileObjection
        case .ruleOnObjection: .ruleOnObjection
        case .assignLawyer: .assignLawyer
        case .changeLawyer: .changeLawyer
        case .collectOriginals: .collectOriginals
        case .close: .close
        case .archive: .archive
        case .recordFollowUp: .recordFollowUp
        case .erase: .erase
        }
    }

    /// Every command on a case, by its name (the raw value, as errors and the pages' forms
    /// name it): the one list the routes, the forms and the OpenAPI check read.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case submit, assess
        case supplyMaterials = "supply-materials"
        case deemWithdrawn = "deem-withdrawn"
        case startAdvanceAid = "advance-aid"
        case requestTransfer = "transfer"
        case acceptTransfer = "accept-transfer"
        case returnTransfer = "return-transfer"
        case cancelTransfer = "cancel-transfer"
        case decide
        case fileObjection = "file-objection"
        case ruleOnObjection = "rule-on-objection"
        case assignLawyer = "assign-lawyer"
        case changeLawyer = "change-lawyer"
        case collectOriginals = "originals-collected"
        case close, archive
        case recordFollowUp = "follow-up"
        case erase
    }
}

/// Who acts on what terms: everything `decide` needs besides the command and the state.
public struct CaseContext: Sendable {
    /// A staff member's role: centre staff, or the city justice bureau's supervisor.
    public enum Role: String, Sendable, Hashable, Codable {
        case staff
        case supervisor
    }

    public var now: Timestamp
    public var actor: Actor
    public var role: Role
    /// Every city's policy, by city.
    public var policies: [NodeID: CityPolicy]
    /// The number allotted to this case if the command grants aid (numbering is per
    /// centre and year across cases, so the caller allots it).
    public var allottedNumber: String?
    /// For a submission citing a certificate: the register entry the caller checked with
    /// ``HardshipCertificate/State/recognise(at:)``.
    public var recognisedCertificate: CertificateRecognition?
    /// When the case was archived (its `CaseArchived` event's time): where retention starts.
    public var archivedAt: Timestamp?
    /// For a submission: its parties' blind indexes, made by the caller with the federation's key.
    public var parties: PartyIndexes?
    /// For accepting a transfer or deciding: why the centre goes ahead although the caller's
    /// conflict check found other cases; recorded in the event.
    public var conflictReason: String?

    public init(now: Timestamp, actor: Actor, role: Role = .staff, policies: [NodeID: CityPolicy],
                allottedNumber: String? = nil, recognisedCertificate: CertificateRecognition? = nil) {
        self.now = now
        self.actor = actor
        self.role = role
        self.policies = policies
        self.allottedNumber = allottedNumber
        self.recognisedCertificate = recognisedCertificate
    }
}

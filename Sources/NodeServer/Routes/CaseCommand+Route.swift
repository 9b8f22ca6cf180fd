import CaseDomain

extension CaseCommand.Kind {
    /// The route a command is posted to, under `/v1/` by the API and at the root by the
    /// staff pages' forms.
    var route: String {
        self == .submit ? "cases" : "cases/{id}/\(action)"
    }

    /// What follows the case id in the route; a submission has none.
    private var action: String {
        switch self {
        case .submit: ""
        case .assess: "assessment"
        case .supplyMaterials: "materials"
        case .deemWithdrawn: "withdrawal"
        case .startAdvanceAid: "advance-aid"
        case .requestTransfer: "transfer"
        case .acceptTransfer: "transfer/accept"
        case .returnTransfer: "transfer/return"
        case .cancelTransfer: "transfer/cancel"
        case .decide: "decision"
        case .fileObjection: "objection"
        case .ruleOnObjection: "objection/ruling"
        case .assignLawyer: "lawyer"
        case .changeLawyer: "lawyer/change"
        case .collectOriginals: "originals-collected"
        case .close: "close"
        case .archive: "archive"
        case .recordFollowUp: "follow-up"
        case .erase: "erasure"
        }
    }
}

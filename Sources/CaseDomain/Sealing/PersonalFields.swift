/// The kinds of personal data an event body can hold. Each is sealed under a key of its
/// own (derived from the case key), so a centre can be given some and not the others:
/// the centre asked to investigate gets `investigation` and only what the request shares.
public enum PersonalField: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// The applicant's or holder's name.
    case name
    /// The applicant's or holder's ID number.
    case idNumber
    /// The applicant's phone number.
    case phone
    /// The matter as the applicant told it, a personal promise, a certificate's basis.
    case summary
    /// Free-text reasons, outcomes and follow-up notes of a case.
    case notes
    /// The questions, findings and answers of an investigation request.
    case investigation
    /// The other side of the matter (``AdverseParty``): a third person's name and ID number,
    /// never shared with a centre asked only to investigate.
    case adverseParty

    /// What an investigation request may share with the centre it asks.
    public static let shareable: [PersonalField] = [.name, .idNumber, .phone, .summary]

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where each event type keeps personal data: the body paths, the field each belongs to.
/// An event type not listed holds none.
public enum PersonalPaths {
    /// One place in a body.
    public struct Path: Sendable, Hashable {
        /// Object keys from the body's root.
        public let keys: [String]
        public let field: PersonalField
        /// A list of texts (placeholder `[]`) rather than one text (placeholder `""`).
        public let isList: Bool
        /// A value a body may lack (an optional member of its type): no placeholder stands
        /// in for it where its field is sealed, so a reader never sees one that was not written.
        public let isOptional: Bool

        init(_ dotted: String, _ field: PersonalField, list: Bool = false, optional: Bool = false) {
            self.keys = dotted.split(separator: ".").map(String.init)
            self.field = field
            self.isList = list
            self.isOptional = optional
        }

        /// The path as `applicant.name`.
        public var dotted: String { keys.joined(separator: ".") }
    }

    private static let reason = [Path("reason", .notes)]

    private static let table: [String: [Path]] = [
        "ApplicationSubmitted": [
            Path("applicant.name", .name), Path("applicant.idNumber", .idNumber), Path("applicant.phone", .phone),
            Path("matter.summary", .summary), Path("hardship.promise.statement", .summary),
            Path("matter.adverseParty.name", .adverseParty, optional: true), Path("matter.adverseParty.id", .adverseParty, optional: true),
        ],
        "ApplicationAssessed": reason, "ApplicationWithdrawn": reason, "AdvanceAidStarted": reason,
        "TransferRequested": reason, "TransferReturned": reason, "TransferCancelled": reason,
        "TransferAccepted": [Path("conflictReason", .notes, optional: true)], "AidDecided": reason + [Path("conflictReason", .notes, optional: true)],
        "ObjectionFiled": reason, "ObjectionRuled": reason, "LawyerChanged": reason,
        "CaseClosed": [Path("outcome", .notes)],
        "FollowUpRecorded": [Path("note", .notes)],
        "InvestigationRequested": [Path("questions", .investigation, list: true)],
        "InvestigationDeclined": [Path("reason", .investigation)],
        "InvestigationReported": [Path("findings", .investigation)],
        "InvestigationExtensionRequested": [Path("reason", .investigation)],
        "InvestigationExtensionDecided": [Path("reason", .investigation)],
        "CertificateIssued": [Path("holderName", .name), Path("idNumber", .idNumber), Path("basis", .summary)],
        "CertificateRevoked": reason,
    ]

    /// The personal paths of an event type.
    public static func paths(ofType type: String) -> [Path] { table[type] ?? [] }
}

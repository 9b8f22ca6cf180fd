import Foundation

/// An applicant as the intake centre recorded them. The ID number and phone appear only
/// in the event that needs them (this one); views show masked forms.
public struct Applicant: Sendable, Hashable, Codable {
    public var name: String
    public var idNumber: String
    public var phone: String
    public var homeCity: NodeID
    /// Special-group tags, e.g. `migrant-worker`, `minor`.
    public var groups: [String]

    public init(name: String, idNumber: String, phone: String, homeCity: NodeID, groups: [String]) {
        self.name = name
        self.idNumber = idNumber
        self.phone = phone
        self.homeCity = homeCity
        self.groups = groups
    }
}

/// What the applicant needs aid for, and where it will be heard.
public struct Matter: Sendable, Hashable, Codable {
    public var litigation: Bool
    public var cause: String
    public var summary: String
    /// The court or dispute-handling body.
    public var venue: String
    /// The centre with jurisdiction, where the venue sits.
    public var jurisdictionCentre: CentreID
    /// Who the applicant is against, when known: checked for conflicts before a transfer
    /// is accepted or aid decided.
    public var adverseParty: AdverseParty?

    public init(litigation: Bool, cause: String, summary: String, venue: String, jurisdictionCentre: CentreID,
                adverseParty: AdverseParty? = nil) {
        self.adverseParty = adverseParty
        self.litigation = litigation
        self.cause = cause
        self.summary = summary
        self.venue = venue
        self.jurisdictionCentre = jurisdictionCentre
    }
}

/// The other side of a matter: a person (by ID number) or an organisation (by its unified
/// social credit code).
public struct AdverseParty: Sendable, Hashable, Codable {
    public var name: String
    /// An 18-character ID number or unified social credit code.
    public var id: String

    public init(name: String, id: String) {
        self.name = name
        self.id = id
    }
}

/// The blind indexes (``BlindIndex/holder(idNumber:)``) of an application's parties, in
/// plain text, so that every node matches duplicate applications and conflicts without the
/// ID numbers themselves.
public struct PartyIndexes: Sendable, Hashable, Codable {
    /// Named `…Index`, so the federation's value rules take only 64 lowercase hex digits.
    public var applicantIndex: String
    public var adversePartyIndex: String?

    public init(applicantIndex: String, adversePartyIndex: String?) {
        self.applicantIndex = applicantIndex
        self.adversePartyIndex = adversePartyIndex
    }
}

/// How economic hardship is shown.
public enum HardshipBasis: Sendable, Hashable, Codable {
    /// A hardship certificate, possibly issued in another city (recognised, not re-reviewed).
    case certificate(id: String)
    /// A special group the city exempts from the review.
    case exempt(group: String)
    /// The applicant's written personal promise (承诺).
    case promise(statement: String)
}

/// A certificate from the register that an application relies on: mutual recognition
/// means it is not reviewed again, so the application records exactly which issuing event
/// it trusted.
public struct CertificateRecognition: Sendable, Hashable, Codable {
    public var certificateId: String
    /// The node (city) that issued it, under its own standard.
    public var issuingNode: NodeID
    /// Hex SHA-256 of the `CertificateIssued` event relied on.
    public var issuingEventHash: String

    public init(certificateId: String, issuingNode: NodeID, issuingEventHash: String) {
        self.certificateId = certificateId
        self.issuingNode = issuingNode
        self.issuingEventHash = issuingEventHash
    }
}

/// A scanned document, linked to its original by fingerprint.
public struct Document: Sendable, Hashable, Codable {
    public var name: String
    public var mediaType: String
    public var size: Int64
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String

    public init(name: String, mediaType: String, size: Int64, sha256: String) {
        self.name = name
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
    }
}

/// Everything that can happen to a case, in the order the law lets it happen.
/// Each case is one event type; its body is the associated value (written at
/// ``schemaVersion``, personal data sealed; version 1 bodies read alike).
public enum CaseEvent: Sendable, Hashable {
    case applicationSubmitted(ApplicationSubmitted)
    case applicationAssessed(ApplicationAssessed)
    case materialsSupplied(MaterialsSupplied)
    case applicationWithdrawn(ApplicationWithdrawn)
    case advanceAidStarted(AdvanceAidStarted)
    case transferRequested(TransferRequested)
    case transferAccepted(TransferAccepted)
    case transferReturned(TransferReturned)
    case transferCancelled(TransferCancelled)
    case aidDecided(AidDecided)
    case objectionFiled(ObjectionFiled)
    case objectionRuled(ObjectionRuled)
    case lawyerAssigned(LawyerAssigned)
    case lawyerChanged(LawyerChanged)
    case originalsCollected(OriginalsCollected)
    case caseClosed(CaseClosed)
    case caseArchived(CaseArchived)
    case followUpRecorded(FollowUpRecorded)
    case caseErased(CaseErased)

    public struct ApplicationSubmitted: Sendable, Hashable, Codable {
        public var intakeCentre: CentreID
        public var applicant: Applicant
        public var matter: Matter
        public var urgent: Bool
        public var hardship: HardshipBasis
        /// When the hardship basis is a certificate: the register entry it was checked against.
        public var recognisedCertificate: CertificateRecognition?
        public var documents: [Document]
        /// `nil` in an application recorded before consent was asked (schema version 1).
        public var consent: Consent?
        /// `nil` in an application recorded before conflicts were checked.
        public var parties: PartyIndexes?
    }

    /// An urgent case's aid starts before the decision; the formalities follow.
    public struct AdvanceAidStarted: Sendable, Hashable, Codable {
        public var reason: String
    }

    public struct ApplicationAssessed: Sendable, Hashable, Codable {
        public var eligible: Bool
        public var reason: String
        /// Missing materials; empty when complete.
        public var missing: [String]
        /// When missing materials are due (deemed withdrawn after), if any are missing.
        public var materialsDueAt: Timestamp?
        /// When the decision is due, if the materials are complete and this centre decides.
        public var decisionDueAt: Timestamp?
    }

    public struct MaterialsSupplied: Sendable, Hashable, Codable {
        public var documents: [Document]
        public var decisionDueAt: Timestamp?
    }

    public struct ApplicationWithdrawn: Sendable, Hashable, Codable {
        public var reason: String
    }

    public struct TransferRequested: Sendable, Hashable, Codable {
        public var fromCentre: CentreID
        public var toCentre: CentreID
        public var reason: String
        /// The legal obligation the transfer shares personal data under, without consent.
        public var legalBasis: String?
        /// When the receiving centre should have answered, by its city's policy; `nil` in a
        /// transfer recorded before transfers had a due date.
        public var answerDueAt: Timestamp? = nil
    }

    public struct TransferAccepted: Sendable, Hashable, Codable {
        public var centre: CentreID
        public var decisionDueAt: Timestamp
        /// Why the centre went ahead although the conflict check found other cases.
        public var conflictReason: String?
    }

    public struct TransferReturned: Sendable, Hashable, Codable {
        public var centre: CentreID
        /// `nil` in a return recorded before codes were asked (read as `other`).
        public var reasonCode: TransferReturnCode?
        public var reason: String
    }

    /// The sender withdrew the transfer before the target answered it; recorded by the
    /// target's node, so `centre` and `staff` say who asked.
    public struct TransferCancelled: Sendable, Hashable, Codable {
        /// The sending centre, which keeps the case.
        public var centre: CentreID
        public var staff: String
        public var reason: String
    }

    public struct AidDecided: Sendable, Hashable, Codable {
        public var granted: Bool
        public var reason: String
        /// The case number a grant gives, e.g. `LICANG-2026-000123`.
        public var number: String?
        public var lawyerDueAt: Timestamp?
        /// Why the centre decided although the conflict check found other cases.
        public var conflictReason: String?
    }

    public struct ObjectionFiled: Sendable, Hashable, Codable {
        public var reason: String
    }

    public struct ObjectionRuled: Sendable, Hashable, Codable {
        public var aidOrdered: Bool
        public var reason: String
    }

    public struct LawyerAssigned: Sendable, Hashable, Codable {
        public var lawyer: String
        public var firm: String
        public var chosenByApplicant: Bool
    }

    public struct LawyerChanged: Sendable, Hashable, Codable {
        public var lawyer: String
        public var firm: String
        public var reason: String
    }

    public struct OriginalsCollected: Sendable, Hashable, Codable {
        public init() {}
    }

    public struct CaseClosed: Sendable, Hashable, Codable {
        public var outcome: String
        /// Recovered for the applicant, in fen.
        public var recoveredAmount: Int64
        /// The city that pays the lawyer subsidy: the aided location.
        public var subsidyPaidBy: NodeID
        /// In fen, by that city's schedule.
        public var subsidyAmount: Int64
    }

    public struct CaseArchived: Sendable, Hashable, Codable {
        public init() {}
    }

    public struct FollowUpRecorded: Sendable, Hashable, Codable {
        public var satisfied: Bool
        public var note: String
    }

    /// The case's personal data erased: every node destroys its keys. `reason` is plain
    /// text (no key would open it afterwards) and names no person.
    public struct CaseErased: Sendable, Hashable, Codable {
        public var reason: String
    }
}

extension CaseEvent {
    /// The event's type name in the envelope.
    public var type: String {
        switch self {
        case .applicationSubmitted: "ApplicationSubmitted"
        case .applicationAssessed: "ApplicationAssessed"
        case .materialsSupplied: "MaterialsSupplied"
        case .applicationWithdrawn: "ApplicationWithdrawn"
        case .advanceAidStarted: "AdvanceAidStarted"
        case .transferRequested: "TransferRequested"
        case .transferAccepted: "TransferAccepted"
        case .transferReturned: "TransferReturned"
        case .transferCancelled: "TransferCancelled"
        case .aidDecided: "AidDecided"
        case .objectionFiled: "ObjectionFiled"
        case .objectionRuled: "ObjectionRuled"
        case .lawyerAssigned: "LawyerAssigned"
        case .lawyerChanged: "LawyerChanged"
        case .originalsCollected: "OriginalsCollected"
        case .caseClosed: "CaseClosed"
        case .caseArchived: "CaseArchived"
        case .followUpRecorded: "FollowUpRecorded"
        case .caseErased: "CaseErased"
        }
    }

    /// The schema version every case event is written with: personal data sealed.
    public static let schemaVersion = SealedBody.schemaVersion

    /// The event's body as JSON.
    public func body() throws -> JSONValue {
        switch self {
        case .applicationSubmitted(let body): try CanonicalJSON.jsonValue(of: body)
        case .applicationAssessed(let body): try CanonicalJSON.jsonValue(of: body)
        case .materialsSupplied(let body): try CanonicalJSON.jsonValue(of: body)
        case .applicationWithdrawn(let body): try CanonicalJSON.jsonValue(of: body)
        case .advanceAidStarted(let body): try CanonicalJSON.jsonValue(of: body)
        case .transferRequested(let body): try CanonicalJSON.jsonValue(of: body)
        case .transferAccepted(let body): try CanonicalJSON.jsonValue(of: body)
        case .transferReturned(let body): try CanonicalJSON.jsonValue(of: body)
        case .transferCancelled(let body): try CanonicalJSON.jsonValue(of: body)
        case .aidDecided(let body): try CanonicalJSON.jsonValue(of: body)
        case .objectionFiled(let body): try CanonicalJSON.jsonValue(of: body)
        case .objectionRuled(let body): try CanonicalJSON.jsonValue(of: body)
        case .lawyerAssigned(let body): try CanonicalJSON.jsonValue(of: body)
        case .lawyerChanged(let body): try CanonicalJSON.jsonValue(of: body)
        case .originalsCollected(let body): try CanonicalJSON.jsonValue(of: body)
        case .caseClosed(let body): try CanonicalJSON.jsonValue(of: body)
        case .caseArchived(let body): try CanonicalJSON.jsonValue(of: body)
        case .followUpRecorded(let body): try CanonicalJSON.jsonValue(of: body)
        case .caseErased(let body): try CanonicalJSON.jsonValue(of: body)
        }
    }

    /// Reads an event back from its envelope's type and body; `nil` for a type this
    /// version does not know.
    public init?(type: String, body: JSONValue) throws {
        func decode<Body: Decodable>(_ type: Body.Type) throws -> Body { try CanonicalJSON.decode(type, from: body) }
        switch type {
        case "ApplicationSubmitted": self = .applicationSubmitted(try decode(ApplicationSubmitted.self))
        case "ApplicationAssessed": self = .applicationAssessed(try decode(ApplicationAssessed.self))
        case "MaterialsSupplied": self = .materialsSupplied(try decode(MaterialsSupplied.self))
        case "ApplicationWithdrawn": self = .applicationWithdrawn(try decode(ApplicationWithdrawn.self))
        case "AdvanceAidStarted": self = .advanceAidStarted(try decode(AdvanceAidStarted.self))
        case "TransferRequested": self = .transferRequested(try decode(TransferRequested.self))
        case "TransferAccepted": self = .transferAccepted(try decode(TransferAccepted.self))
        case "TransferReturned": self = .transferReturned(try decode(TransferReturned.self))
        case "TransferCancelled": self = .transferCancelled(try decode(TransferCancelled.self))
        case "AidDecided": self = .aidDecided(try decode(AidDecided.self))
        case "ObjectionFiled": self = .objectionFiled(try decode(ObjectionFiled.self))
        case "ObjectionRuled": self = .objectionRuled(try decode(ObjectionRuled.self))
        case "LawyerAssigned": self = .lawyerAssigned(try decode(LawyerAssigned.self))
        case "LawyerChanged": self = .lawyerChanged(try decode(LawyerChanged.self))
        case "OriginalsCollected": self = .originalsCollected(try decode(OriginalsCollected.self))
        case "CaseClosed": self = .caseClosed(try decode(CaseClosed.self))
        case "CaseArchived": self = .caseArchived(try decode(CaseArchived.self))
        case "FollowUpRecorded": self = .followUpRecorded(try decode(FollowUpRecorded.self))
        case "CaseErased": self = .caseErased(try decode(CaseErased.self))
        default: return nil
        }
    }
}

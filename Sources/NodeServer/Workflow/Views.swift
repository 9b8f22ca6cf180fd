import CaseDomain
import EventLog
import Foundation
import Projections

/// A case as staff see it: its state, the applicant in masked form, its investigations.
struct CaseView: Encodable, Sendable {
    struct ApplicantView: Encodable, Sendable {
        var name: String
        var idNumber: String
        var phone: String
        var homeCity: NodeID
        var groups: [String]
    }

    struct InvestigationSummary: Encodable, Sendable {
        var investigationId: String
        var toCentre: CentreID?
        var phase: Investigation.Phase
        var number: String?
        var version: Int64
    }

    var caseId: String
    var version: Int64
    var phase: CaseState.Phase
    var number: String?
    var intakeCentre: CentreID?
    var owner: CentreID?
    var jurisdictionCentre: CentreID?
    var transferTarget: CentreID?
    var urgent: Bool
    var advanceAid: Bool
    var applicant: ApplicantView?
    var matter: Matter?
    var hardship: String?
    var recognisedCertificate: CertificateRecognition?
    var lawyer: String?
    var lawyerFirm: String?
    var originalsCollected: Bool
    var aidOrdered: Bool
    var materialsDueAt: Timestamp?
    var decisionDueAt: Timestamp?
    var lawyerDueAt: Timestamp?
    var subsidyPaidBy: NodeID?
    var subsidyAmount: Int64?
    var followUps: Int
    var investigations: [InvestigationSummary]
}

/// An investigation request as staff see it.
struct InvestigationView: Encodable, Sendable {
    var investigationId: String
    var caseId: String?
    var version: Int64
    var phase: Investigation.Phase
    var fromCentre: CentreID?
    var toCentre: CentreID?
    var number: String?
    var lawyer: String?
    var reportDueAt: Timestamp?
    var findings: String?
}

/// A certificate as the register shows it, for recognition.
struct CertificateView: Encodable, Sendable {
    var certificateId: String
    var version: Int64
    var status: HardshipCertificate.Status
    var issuingNode: NodeID
    var issuingCentre: CentreID
    var issuingEventHash: String
    var holderName: String
    var idNumber: String
    var basis: String
    var standard: String
    var validFrom: Timestamp
    var validUntil: Timestamp
    var revocationReason: String?
}

/// One step of a case's history, across every node that recorded it.
struct TimelineEntry: Encodable, Sendable {
    var position: Int64
    var streamId: String
    var streamVersion: Int64
    var type: String
    var recordedAt: Timestamp
    var node: NodeID
    var centre: CentreID?
    var staff: String
    var hash: String
    var body: JSONValue
}

/// The reads staff make, each checked against who may see the record: the centres that
/// take part in a case (and their cities' supervisors), auditors everywhere.
struct Views: Sendable {
    let store: StreamStore
    let registry: CertificateRegistry
    let clock: NodeClock

    func caseView(_ caseID: String, for staff: StaffClaims) async throws -> CaseView {
        Self.caseView(caseID, try await loadCase(caseID, for: staff))
    }

    /// Every event of the case and of its investigations, in this node's log order.
    func timeline(_ caseID: String, for staff: StaffClaims) async throws -> [TimelineEntry] {
        Self.timeline(try await loadCase(caseID, for: staff))
    }

    /// The case and its timeline from one read of its streams (the staff pages show both).
    func caseWithTimeline(_ caseID: String, for staff: StaffClaims) async throws -> (CaseView, [TimelineEntry]) {
        let loaded = try await loadCase(caseID, for: staff)
        return (Self.caseView(caseID, loaded), Self.timeline(loaded))
    }

    private static func caseView(_ caseID: String, _ record: LoadedCase) -> CaseView {
        let (_, loaded, investigations) = record
        let state = CaseState(replaying: loaded.events)
        var submitted: CaseEvent.ApplicationSubmitted?
        if case .applicationSubmitted(let first)? = loaded.events.first { submitted = first }
        return CaseView(
            caseId: caseID.lowercased(), version: state.version, phase: state.phase, number: state.number,
            intakeCentre: state.intakeCentre, owner: state.owner, jurisdictionCentre: state.jurisdictionCentre,
            transferTarget: state.transferTarget, urgent: state.urgent, advanceAid: state.advanceAid,
            applicant: submitted.map {
                .init(name: $0.applicant.name, idNumber: PersonalData.maskIDNumber($0.applicant.idNumber),
                      phone: PersonalData.maskPhone($0.applicant.phone), homeCity: $0.applicant.homeCity, groups: $0.applicant.groups)
            },
            matter: submitted?.matter, hardship: submitted.map { describe($0.hardship) },
            recognisedCertificate: submitted?.recognisedCertificate,
            lawyer: state.lawyer, lawyerFirm: state.lawyerFirm, originalsCollected: state.originalsCollected,
            aidOrdered: state.aidOrdered, materialsDueAt: state.materialsDueAt, decisionDueAt: state.decisionDueAt,
            lawyerDueAt: state.lawyerDueAt, subsidyPaidBy: state.subsidyPaidBy, subsidyAmount: state.subsidyAmount,
            followUps: state.followUps,
            investigations: investigations.map { stream, loaded in
                let state = Investigation.State(replaying: loaded.events)
                return .init(investigationId: String(stream.dropFirst("investigation-".count)), toCentre: state.target,
                             phase: state.phase, number: state.number, version: state.version)
            }
        )
    }

    private static func timeline(_ record: LoadedCase) -> [TimelineEntry] {
        let (_, loaded, investigations) = record
        let recorded = (loaded.recorded + investigations.flatMap(\.1.recorded)).sorted { $0.globalPosition < $1.globalPosition }
        return recorded.map { record in
            let envelope = record.envelope
            return TimelineEntry(
                position: record.globalPosition, streamId: envelope.streamId, streamVersion: envelope.streamVersion,
                type: envelope.type, recordedAt: envelope.recordedAt, node: envelope.originNode,
                centre: envelope.actor.centre, staff: envelope.actor.staff, hash: record.signed.hash.hex,
                body: PersonalData.masked(envelope.body)
            )
        }
    }

    func investigationView(_ investigationID: String, for staff: StaffClaims) async throws -> InvestigationView {
        let stream = try Workflow.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no investigation request \(investigationID)") }
        let state = Investigation.State(replaying: loaded.events)
        try Self.requireReader(staff, participants: [state.requester, state.target].compactMap { $0 })
        return InvestigationView(
            investigationId: investigationID.lowercased(), caseId: state.caseStream.map { String($0.dropFirst("case-".count)) },
            version: state.version, phase: state.phase, fromCentre: state.requester, toCentre: state.target,
            number: state.number, lawyer: state.lawyer, reportDueAt: state.reportDueAt, findings: state.findings
        )
    }

    /// Any staff member may look a certificate up: recognition is the point of the register.
    func certificateView(_ certificateID: String, masked: Bool = true) async throws -> CertificateView {
        let stream = try Workflow.certificateStream(certificateID)
        let loaded = try await store.load(stream, as: HardshipCertificate.Event.self)
        let state = HardshipCertificate.State(replaying: loaded.events)
        guard let issued = state.issued, let issuing = loaded.recorded.first else { throw Problem(.notFound, "no certificate \(certificateID)") }
        return CertificateView(
            certificateId: certificateID.lowercased(), version: state.version,
            status: state.status(at: clock.now()), issuingNode: issuing.envelope.originNode,
            issuingCentre: issued.issuingCentre, issuingEventHash: issuing.signed.hash.hex, holderName: issued.holderName,
            idNumber: masked ? PersonalData.maskIDNumber(issued.idNumber) : issued.idNumber, basis: issued.basis,
            standard: issued.standard, validFrom: issued.validFrom, validUntil: issued.validUntil,
            revocationReason: state.revocationReason
        )
    }

    /// The certificates issued to `idNumber`, newest last, from the register projection.
    func certificates(idNumber: String) async throws -> [CertificateView] {
        let now = clock.now()
        return try await registry.entries(idNumber: idNumber).map { entry in
            CertificateView(
                certificateId: entry.certificateID, version: entry.revocationReason == nil ? 1 : 2,
                status: entry.revocationReason != nil ? .revoked : now > entry.validUntil ? .expired : .valid,
                issuingNode: NodeID(rawValue: entry.issuingNode) ?? NodeID(rawValue: "unknown")!,
                issuingCentre: CentreID(rawValue: entry.issuingCentre) ?? CentreID(rawValue: "unknown-centre")!,
                issuingEventHash: entry.issuingEventHash, holderName: entry.holderName, idNumber: entry.idNumber,
                basis: entry.basis, standard: entry.standard, validFrom: entry.validFrom, validUntil: entry.validUntil,
                revocationReason: entry.revocationReason)
        }
    }

    /// The case's stream and its investigations', once the caller is known to take part.
    /// A case's stream id, its events and its investigations' (stream id and events).
    private typealias LoadedCase = (String, LoadedStream<CaseEvent>, [(String, LoadedStream<Investigation.Event>)])

    private func loadCase(_ caseID: String, for staff: StaffClaims) async throws -> LoadedCase {
        let stream = try Workflow.caseStream(caseID)
        let loaded = try await store.load(stream, as: CaseEvent.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no case \(caseID)") }
        var investigations: [(String, LoadedStream<Investigation.Event>)] = []
        for investigation in try await store.reader.streams(startedBy: "InvestigationRequested", where: "caseStream", equals: stream) {
            investigations.append((investigation, try await store.load(investigation, as: Investigation.Event.self)))
        }
        var participants: Set<CentreID> = []
        for event in loaded.events {
            switch event {
            case .applicationSubmitted(let submitted): participants.insert(submitted.intakeCentre)
            case .transferRequested(let transfer): participants.formUnion([transfer.fromCentre, transfer.toCentre])
            default: break
            }
        }
        for (_, investigation) in investigations {
            let state = Investigation.State(replaying: investigation.events)
            if let target = state.target { participants.insert(target) }
        }
        try Self.requireReader(staff, participants: participants)
        return (stream, loaded, investigations)
    }

    private static func requireReader(_ staff: StaffClaims, participants: some Sequence<CentreID>) throws(Problem) {
        let participants = Set(participants)
        switch staff.role {
        case .auditor: return
        case .supervisor where participants.contains(where: { $0.node == staff.centre.node }): return
        default:
            guard participants.contains(staff.centre) else {
                throw Problem(.forbidden, "centre \(staff.centre) takes no part in this record")
            }
        }
    }

    private static func describe(_ basis: HardshipBasis) -> String {
        switch basis {
        case .certificate(let id): "certificate \(id)"
        case .exempt(let group): "exempt: \(group)"
        case .promise: "personal promise"
        }
    }

}

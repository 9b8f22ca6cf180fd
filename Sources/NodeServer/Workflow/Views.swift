import CaseDomain
import EventLog
import Federation
import Foundation
import Projections

/// A case as staff see it: its state, the applicant in masked form, its investigations.
struct CaseView: Encodable, Sendable {
    /// The applicant; name, ID and phone only where this node opens them (ID and phone masked).
    struct ApplicantView: Encodable, Sendable {
        var name: String?
        var idNumber: String?
        var phone: String?
        var homeCity: NodeID
        var groups: [String]
    }

    struct InvestigationSummary: Encodable, Sendable {
        var investigationId: String
        var toCentre: CentreID?
        var phase: Investigation.Phase
        var number: String?
        var version: Int64
        var reportDueAt: Timestamp?
        /// The days the requested centre asked to add, until the requester decides.
        var pendingExtensionDays: Int?
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
    /// What of the applicant's personal data this node shows.
    var personalData: PersonalDataState = .sealed
    /// The requests of the case and its investigations sent to a centre, and their receipts.
    var deliveries: [DeliveryView] = []
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
    /// What the requested centre asked for, until the requester decides.
    var pendingExtension: Investigation.Event.ExtensionRequested?
    var findings: String?
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
/// take part in a case (and their cities' supervisors), auditors everywhere. Cases and
/// their timelines come from the case view projection.
struct Views: Sendable {
    let store: StreamStore
    let cases: CaseRecords
    let registry: CertificateRegistry
    let clock: NodeClock
    /// Where every plain-text read of personal data is recorded.
    let accessLog: AccessLog
    /// Where a recipient's first reading of a request is recorded.
    let receipts: DeliveryReceipts

    /// The keys this node holds of records' personal data.
    var keys: RecordKeyStore { store.keys }

    /// The case, its application opened where this node can; the read is recorded.
    func caseView(_ caseID: String, for staff: StaffClaims, purpose: String = "case-view") async throws -> CaseView {
        let caseID = try Self.normalised(caseID)
        let record = try Self.readable(try await fromProjection(for: staff) { try await cases.record(caseID) }, caseID, by: staff)
        // The application alone: the first event of the stream, not the whole stream.
        let submitted = record.state.erased ? [] : try await store.reader.firstEvents(ofStreams: [StreamID.stream(.caseFile, id: caseID)])
        let opened = try await open(submitted, of: caseID)
        try await accessLog.record(staff, kind: .caseFile, record: caseID, caseID: caseID, purpose: purpose, fields: opened.opened)
        var view = caseView(record, submitted: opened.bodies.first, state: try await erasedOr(opened.state, caseID, record: record))
        view.noteOpenings(await receipts.noteReading(of: record.deliveries, by: staff), by: staff)
        return view
    }

    /// Every event of the case and of its investigations, in this node's log order.
    func timeline(_ caseID: String, for staff: StaffClaims) async throws -> [TimelineEntry] {
        try await caseWithTimeline(caseID, for: staff, purpose: "timeline").1
    }

    /// The case and its timeline from one catch-up of the case view (the staff pages show
    /// both), opened where this node can; the read is recorded.
    func caseWithTimeline(_ caseID: String, for staff: StaffClaims, purpose: String = "case-page") async throws -> (CaseView, [TimelineEntry]) {
        let caseID = try Self.normalised(caseID)
        guard let (record, events) = try await fromProjection(for: staff, { try await cases.recordWithTimeline(caseID) }) else {
            throw Problem(.notFound, "no case \(caseID)")
        }
        let readable = try Self.readable(record, caseID, by: staff)
        let opened = try await open(events, of: caseID)
        try await accessLog.record(staff, kind: .caseFile, record: caseID, caseID: caseID, purpose: purpose, fields: opened.opened)
        let submitted = zip(events, opened.bodies).first { $0.0.envelope.type == "ApplicationSubmitted" }?.1
        var view = caseView(readable, submitted: submitted, state: try await erasedOr(opened.state, caseID, record: readable))
        view.noteOpenings(await receipts.noteReading(of: readable.deliveries, by: staff), by: staff)
        return (view, Self.timeline(events, bodies: opened.bodies))
    }

    /// Reads through a projection; one too far behind the log to catch up within a request,
    /// or a case view with a parked event, answers 503 saying so (the latter only to those
    /// who may read the case, as far as the view knows it).
    func fromProjection<Result>(for staff: StaffClaims? = nil, _ read: () async throws -> Result) async throws -> Result {
        do {
            return try await read()
        } catch let behind as ProjectionBehind {
            throw Problem(.unavailable, behind.description)
        } catch let parked as CaseViewParked {
            if let staff, let record = parked.record {
                _ = try Self.readable(record, parked.caseID, by: staff)
            } else if let staff, staff.role != .auditor {
                // Nothing says who takes part yet: to anyone but an auditor, as if there were no case.
                throw Problem(.notFound, "no case \(parked.caseID)")
            }
            throw Problem(.unavailable, parked.description)
        }
    }

    /// The case id as the log spells it; a malformed one is refused.
    private static func normalised(_ caseID: String) throws -> String {
        StreamID.caseID(ofStream: try Workflow.caseStream(caseID)) ?? caseID
    }

    /// The case once the caller is known to take part in it: its intake centre, both ends
    /// of its transfers and the centres asked to investigate.
    static func readable(_ record: CaseRecord?, _ caseID: String, by staff: StaffClaims) throws -> CaseRecord {
        guard let record else { throw Problem(.notFound, "no case \(caseID)") }
        try requireReader(staff, participants: record.participants.union(record.investigations.compactMap(\.state.target)))
        return record
    }

    static func caseView(_ record: CaseRecord) -> CaseView {
        let state = record.state
        let application = record.application
        return CaseView(
            caseId: record.caseID, version: state.version, phase: state.phase, number: state.number,
            intakeCentre: state.intakeCentre, owner: state.owner, jurisdictionCentre: state.jurisdictionCentre,
            transferTarget: state.transferTarget, urgent: state.urgent, advanceAid: state.advanceAid,
            applicant: application.map {
                .init(name: $0.applicantName, idNumber: $0.idNumber, phone: $0.phone, homeCity: $0.homeCity, groups: $0.groups)
            },
            matter: application?.matter, hardship: application.map { describe($0.hardship) },
            recognisedCertificate: application?.recognisedCertificate,
            lawyer: state.lawyer, lawyerFirm: state.lawyerFirm, originalsCollected: state.originalsCollected,
            aidOrdered: state.aidOrdered, materialsDueAt: state.materialsDueAt, decisionDueAt: state.decisionDueAt,
            lawyerDueAt: state.lawyerDueAt, subsidyPaidBy: state.subsidyPaidBy, subsidyAmount: state.subsidyAmount,
            followUps: state.followUps,
            investigations: record.investigations.map {
                .init(investigationId: $0.investigationID, toCentre: $0.state.target, phase: $0.state.phase,
                      number: $0.state.number, version: $0.state.version, reportDueAt: $0.state.reportDueAt,
                      pendingExtensionDays: $0.state.pendingExtensionDays)
            },
            deliveries: record.deliveries.compactMap(DeliveryView.init)
        )
    }

    private static func timeline(_ events: [RecordedEvent], bodies: [JSONValue]) -> [TimelineEntry] {
        zip(events, bodies).map { record, body in
            let envelope = record.envelope
            return TimelineEntry(
                position: record.globalPosition, streamId: envelope.streamId, streamVersion: envelope.streamVersion,
                type: envelope.type, recordedAt: envelope.recordedAt, node: envelope.originNode,
                centre: envelope.actor.centre, staff: envelope.actor.staff, hash: record.signed.hash.hex,
                body: PersonalData.masked(body)
            )
        }
    }

    func investigationView(_ investigationID: String, for staff: StaffClaims) async throws -> InvestigationView {
        let stream = try Workflow.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw Problem(.notFound, "no investigation request \(investigationID)") }
        let state = Investigation.State(replaying: loaded.events)
        try Self.requireReader(staff, participants: [state.requester, state.target].compactMap { $0 })
        let caseID = state.caseStream.flatMap(StreamID.caseID(ofStream:))
        var findings: String?
        var pendingExtension: Investigation.Event.ExtensionRequested?
        if let caseID {
            let opened = try await open(loaded.recorded, of: caseID)
            let events = zip(loaded.recorded, opened.bodies).compactMap { try? Investigation.Event(type: $0.0.envelope.type, body: $0.1) }
            findings = Investigation.State(replaying: events).findings.flatMap { $0.isEmpty ? nil : $0 }
            if state.pendingExtensionDays != nil, case .extensionRequested(let asked)? = events.last(where: {
                if case .extensionRequested = $0 { true } else { false }
            }) {
                pendingExtension = asked
            }
            try await accessLog.record(staff, kind: .investigation, record: investigationID.lowercased(), caseID: caseID,
                                       purpose: "investigation-view", fields: opened.opened)
        }
        if state.phase == .requested, let target = state.target {
            _ = await receipts.noteReading(of: [Delivery.Request(record: stream, requestVersion: 1, kind: .investigation, centre: target)], by: staff)
        }
        return InvestigationView(
            investigationId: investigationID.lowercased(), caseId: caseID ?? state.caseStream,
            version: state.version, phase: state.phase, fromCentre: state.requester, toCentre: state.target,
            number: state.number, lawyer: state.lawyer, reportDueAt: state.reportDueAt, pendingExtension: pendingExtension,
            findings: findings
        )
    }

    static func requireReader(_ staff: StaffClaims, participants: some Sequence<CentreID>) throws(Problem) {
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

import CaseDomain
import EventLog
import Federation
import Foundation
import Projections

/// A case as staff see it: its state, the applicant in masked form, its investigations.
package struct CaseView: Encodable, Sendable {
    /// The applicant; name, ID and phone only where this node opens them (ID and phone masked).
    package struct ApplicantView: Encodable, Sendable {
        package var name: String?
        package var idNumber: String?
        package var phone: String?
        package var homeCity: NodeID
        package var groups: [String]
    }

    package struct InvestigationSummary: Encodable, Sendable {
        package var investigationId: String
        package var toCentre: CentreID?
        package var phase: Investigation.Phase
        package var number: String?
        package var version: Int64
        package var reportDueAt: Timestamp?
        /// The days the requested centre asked to add, until the requester decides.
        package var pendingExtensionDays: Int?
    }

    package var caseId: String
    package var version: Int64
    package var phase: CaseState.Phase
    package var number: String?
    package var intakeCentre: CentreID?
    package var owner: CentreID?
    package var jurisdictionCentre: CentreID?
    package var transferTarget: CentreID?
    package var urgent: Bool
    package var advanceAid: Bool
    package var applicant: ApplicantView?
    package var matter: Matter?
    package var hardship: String?
    package var recognisedCertificate: CertificateRecognition?
    package var lawyer: String?
    package var lawyerFirm: String?
    package var originalsCollected: Bool
    package var aidOrdered: Bool
    package var materialsDueAt: Timestamp?
    package var decisionDueAt: Timestamp?
    package var lawyerDueAt: Timestamp?
    package var subsidyPaidBy: NodeID?
    package var subsidyAmount: Int64?
    package var followUps: Int
    package var investigations: [InvestigationSummary]
    /// What of the applicant's personal data this node shows.
    package var personalData: PersonalDataState = .sealed
    /// The requests of the case and its investigations sent to a centre, and their receipts.
    package var deliveries: [DeliveryView] = []
}

/// An investigation request as staff see it.
package struct InvestigationView: Encodable, Sendable {
    package var investigationId: String
    package var caseId: String?
    package var version: Int64
    package var phase: Investigation.Phase
    package var fromCentre: CentreID?
    package var toCentre: CentreID?
    package var number: String?
    package var lawyer: String?
    package var reportDueAt: Timestamp?
    /// What the requested centre asked for, until the requester decides.
    package var pendingExtension: Investigation.Event.ExtensionRequested?
    package var findings: String?
}

/// One step of a case's history, across every node that recorded it.
package struct TimelineEntry: Encodable, Sendable {
    package var position: Int64
    package var streamId: String
    package var streamVersion: Int64
    package var type: String
    package var recordedAt: Timestamp
    package var node: NodeID
    package var centre: CentreID?
    package var staff: String
    package var hash: String
    package var body: JSONValue
}

/// The reads staff make, each checked against who may see the record: the centres that
/// take part in a case (and their cities' supervisors), auditors everywhere. Cases and
/// their timelines come from the case view projection.
package struct Views: Sendable {
    package let store: StreamStore
    package let cases: CaseRecords
    package let registry: CertificateRegistry
    package let clock: NodeClock
    /// Where every plain-text read of personal data is recorded.
    package let accessLog: AccessLog
    /// Where a recipient's first reading of a request is recorded.
    package let receipts: DeliveryReceipts

    /// The keys this node holds of records' personal data.
    package var keys: RecordKeyStore { store.keys }

    /// The case, its application opened where this node can; the read is recorded.
    package func caseView(_ caseID: String, for staff: StaffMember, purpose: String = "case-view") async throws -> CaseView {
        let caseID = try Self.normalised(caseID)
        var record = try Self.readable(try await fromProjection(for: staff) { try await cases.record(caseID) }, caseID, by: staff)
        // A recipient's first reading is recorded before the view is made, which then shows it.
        if await !receipts.noteReading(of: record.deliveries, by: staff).isEmpty {
            record = try Self.readable(try await fromProjection(for: staff) { try await cases.record(caseID) }, caseID, by: staff)
        }
        // The application alone: the first event of the stream, not the whole stream.
        let submitted = record.state.erased ? [] : try await store.reader.firstEvents(ofStreams: [StreamID.stream(.caseFile, id: caseID)])
        let opened = try await open(submitted, of: caseID)
        try await accessLog.record(staff, kind: .caseFile, record: caseID, caseID: caseID, purpose: purpose, fields: opened.opened)
        return caseView(record, submitted: opened.bodies.first, state: try await erasedOr(opened.state, caseID, record: record))
    }

    /// Every event of the case and of its investigations, in this node's log order.
    package func timeline(_ caseID: String, for staff: StaffMember) async throws -> [TimelineEntry] {
        try await caseWithTimeline(caseID, for: staff, purpose: "timeline").1
    }

    /// The case and its timeline from one catch-up of the case view (the staff pages show
    /// both), opened where this node can; the read is recorded.
    package func caseWithTimeline(_ caseID: String, for staff: StaffMember, purpose: String = "case-page") async throws -> (CaseView, [TimelineEntry]) {
        let caseID = try Self.normalised(caseID)
        guard var (record, events) = try await fromProjection(for: staff, { try await cases.recordWithTimeline(caseID) }) else {
            throw WorkflowError.notFound("no case \(caseID)")
        }
        var readable = try Self.readable(record, caseID, by: staff)
        // A recipient's first reading is recorded first: the view, the timeline and a letter
        // printed from them include it.
        if await !receipts.noteReading(of: readable.deliveries, by: staff).isEmpty,
           let reread = try await fromProjection(for: staff, { try await cases.recordWithTimeline(caseID) }) {
            (record, events) = reread
            readable = try Self.readable(record, caseID, by: staff)
        }
        let opened = try await open(events, of: caseID)
        try await accessLog.record(staff, kind: .caseFile, record: caseID, caseID: caseID, purpose: purpose, fields: opened.opened)
        let submitted = zip(events, opened.bodies).first { $0.0.envelope.type == "ApplicationSubmitted" }?.1
        let view = caseView(readable, submitted: submitted, state: try await erasedOr(opened.state, caseID, record: readable))
        return (view, Self.timeline(events, bodies: opened.bodies))
    }

    /// Reads through a projection; one too far behind the log to catch up within a request,
    /// or a case view with a parked event, is refused as unavailable, saying so (the latter
    /// only to those who may read the case, as far as the view knows it).
    package func fromProjection<Result>(for staff: StaffMember? = nil, _ read: () async throws -> Result) async throws -> Result {
        do {
            return try await read()
        } catch let behind as ProjectionBehind {
            throw WorkflowError.unavailable(behind.description)
        } catch let parked as CaseViewParked {
            if let staff, let record = parked.record {
                _ = try Self.readable(record, parked.caseID, by: staff)
            } else if let staff, staff.role != .auditor {
                // Nothing says who takes part yet: to anyone but an auditor, as if there were no case.
                throw WorkflowError.notFound("no case \(parked.caseID)")
            }
            throw WorkflowError.unavailable(parked.description)
        }
    }

    /// The case id as the log spells it; a malformed one is refused.
    private static func normalised(_ caseID: String) throws -> String {
        StreamID.caseID(ofStream: try Workflow.caseStream(caseID)) ?? caseID
    }

    /// The case once the caller is known to take part in it: its intake centre, both ends
    /// of its transfers and the centres asked to investigate.
    package static func readable(_ record: CaseRecord?, _ caseID: String, by staff: StaffMember) throws -> CaseRecord {
        guard let record else { throw WorkflowError.notFound("no case \(caseID)") }
        try requireReader(staff, participants: record.participants.union(record.investigations.compactMap(\.state.target)))
        return record
    }

    package static func caseView(_ record: CaseRecord) -> CaseView {
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

    package func investigationView(_ investigationID: String, for staff: StaffMember) async throws -> InvestigationView {
        let stream = try Workflow.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no investigation request \(investigationID)") }
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

    package static func requireReader(_ staff: StaffMember, participants: some Sequence<CentreID>) throws(WorkflowError) {
        let participants = Set(participants)
        switch staff.role {
        case .auditor: return
        case .supervisor where participants.contains(where: { $0.node == staff.centre.node }): return
        default:
            guard participants.contains(staff.centre) else {
                throw WorkflowError.forbidden("centre \(staff.centre) takes no part in this record")
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


    /// - Parameters:
    ///   - receipts: where a recipient's first reading of a request is recorded.
    package init(store: StreamStore, cases: CaseRecords, registry: CertificateRegistry, clock: NodeClock, accessLog: AccessLog, receipts: DeliveryReceipts) {
        self.store = store
        self.cases = cases
        self.registry = registry
        self.clock = clock
        self.accessLog = accessLog
        self.receipts = receipts
    }
}

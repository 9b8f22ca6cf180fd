import CaseDomain
import EventLog
import Foundation

extension Workflow {
    /// Issues a hardship certificate at the staff member's centre, under its city's standard;
    /// its holder's details are sealed, their blind indexes recorded in plain text for lookups.
    package func issueCertificate(_ command: HardshipCertificate.Command, by staff: StaffMember) async throws -> WriteResult {
        let actor = try Self.writer(staff)
        let now = clock.now()
        let id = UUID.version7(at: now)
        let events = try Self.decided { () throws(CommandError) in try HardshipCertificate.decide(command, on: .init(), now: now, actor: actor) }
            .map(indexed)
        let keys = try await store.keys.create(for: Self.id(of: id))
        let outcome = try await commit([StreamStore.append(Self.certificateStream(id), expectedVersion: 0, events: events, actor: actor,
                                                           record: Self.id(of: id), keys: keys)])
        return WriteResult(id: Self.id(of: id), version: outcome[0].streamVersion)
    }

    /// Revokes a certificate this city issued.
    package func revokeCertificate(_ certificateID: String, expectedVersion: Int64, reason: String, by staff: StaffMember) async throws -> WriteResult {
        let actor = try Self.writer(staff)
        let stream = try Self.certificateStream(certificateID)
        let loaded = try await store.load(stream, as: HardshipCertificate.Event.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no certificate \(certificateID)") }
        try Self.check(expectedVersion, against: loaded.version)
        let state = HardshipCertificate.State(replaying: loaded.events)
        let now = clock.now()
        let events = try Self.decided { () throws(CommandError) in try HardshipCertificate.decide(.revoke(reason: reason), on: state, now: now, actor: actor) }
        let record = StreamID.kind(of: stream)?.id ?? certificateID
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor,
                                                           record: record, keys: try await keys(of: record, writtenBefore: loaded.recorded))])
        return WriteResult(id: certificateID, version: outcome[0].streamVersion)
    }

    /// An issued event with its holder's blind indexes, which the domain cannot compute.
    private func indexed(_ event: HardshipCertificate.Event) -> HardshipCertificate.Event {
        guard case .issued(var issued) = event else { return event }
        issued.holderIndex = matching.holder(idNumber: issued.idNumber)
        issued.holderNameIndex = matching.holderName(idNumber: issued.idNumber, name: issued.holderName)
        return .issued(issued)
    }

    /// The register entry an application may rely on: the certificate must be valid now
    /// and be the applicant's own, by the blind index of their ID number (the plain number
    /// of a certificate issued before sealing).
    package func recognise(_ certificateID: String, for applicant: Applicant, at now: Timestamp) async throws -> CertificateRecognition {
        let field = "hardship.certificateId"
        guard let stream = try? Self.certificateStream(certificateID) else { throw WorkflowError.invalid(field: field, reason: "no such certificate") }
        let loaded = try await store.load(stream, as: HardshipCertificate.Event.self)
        let state = HardshipCertificate.State(replaying: loaded.events)
        try Self.decided { () throws(CommandError) in try state.recognise(at: now) }
        guard let issued = state.issued, let issuing = loaded.recorded.first else { throw WorkflowError.invalid(field: field, reason: "no such certificate") }
        let isHolder = issued.holderIndex.map { $0 == matching.holder(idNumber: applicant.idNumber) }
            ?? (issued.idNumber == BlindIndex.normalisedIDNumber(applicant.idNumber))
        guard isHolder else {
            throw WorkflowError.invalid(field: field, reason: "the certificate was issued to another ID number")
        }
        return CertificateRecognition(certificateId: certificateID, issuingNode: issuing.envelope.originNode,
                                      issuingEventHash: issuing.signed.hash.hex)
    }
}

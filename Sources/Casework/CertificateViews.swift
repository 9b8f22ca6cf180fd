import CaseDomain
import EventLog
import Foundation
import Projections

/// A certificate as the register shows it. The holder's details (name, masked ID number,
/// basis) and the revocation's reason only to staff of the issuing city, on a node that
/// opens them; to everyone else they are absent.
package struct CertificateView: Encodable, Sendable {
    package var certificateId: String
    package var version: Int64
    package var status: HardshipCertificate.Status
    package var issuingNode: NodeID
    package var issuingCentre: CentreID
    package var issuingEventHash: String
    package var holderName: String?
    package var idNumber: String?
    package var basis: String?
    package var standard: String
    package var validFrom: Timestamp
    package var validUntil: Timestamp
    package var revocationReason: String?
}

/// A certificate a lookup found: whether it may be relied on and which event to cite,
/// never its holder's details.
package struct CertificateMatch: Encodable, Sendable {
    package var certificateId: String
    package var status: HardshipCertificate.Status
    package var issuingNode: NodeID
    package var issuingCentre: CentreID
    package var issuingEventHash: String
    package var validFrom: Timestamp
    package var validUntil: Timestamp
}

extension Views {
    /// Any staff member may read a certificate's register entry by id: recognition is the
    /// point of the register. Its holder's details are opened from the log for staff of the
    /// issuing city only, and that read is recorded.
    package func certificateView(_ certificateID: String, for staff: StaffMember) async throws -> CertificateView {
        let stream = try Workflow.certificateStream(certificateID)
        let id = StreamID.kind(of: stream)?.id ?? certificateID
        guard let entry = try await fromProjection({ try await registry.entry(id: id) }) else {
            throw WorkflowError.notFound("no certificate \(certificateID)")
        }
        let match = Self.match(entry, at: clock.now())
        var view = CertificateView(certificateId: match.certificateId, version: entry.revocationReason == nil ? 1 : 2, status: match.status,
                                   issuingNode: match.issuingNode, issuingCentre: match.issuingCentre, issuingEventHash: match.issuingEventHash,
                                   standard: entry.standard, validFrom: match.validFrom, validUntil: match.validUntil)
        guard staff.centre.node == match.issuingCentre.node else { return view }
        let holder = try await openedCertificate(id, stream: stream)
        try await accessLog.record(staff, kind: .certificate, record: id, caseID: nil, purpose: "certificate-view", fields: holder.opened)
        view.holderName = holder.issued.map(\.holderName).flatMap(Self.nonEmpty)
        view.idNumber = holder.issued.map(\.idNumber).flatMap(Self.nonEmpty).map(PersonalData.maskIDNumber)
        view.basis = holder.issued.map(\.basis).flatMap(Self.nonEmpty)
        view.revocationReason = holder.revocationReason.flatMap(Self.nonEmpty)
        return view
    }

    /// The certificates issued to the holder of `idNumber` and `name`: by their blind
    /// indexes under `matching`, and of those issued before sealing by the plain ID number,
    /// then the name. A wrong name finds nothing, as an unknown holder does. A lookup that
    /// found something is recorded against each certificate it found.
    package func lookUpCertificates(idNumber: String, name: String, matching: BlindIndex, for staff: StaffMember) async throws -> [CertificateMatch] {
        let idNumber = BlindIndex.normalisedIDNumber(idNumber)
        try CertificateInput.requireIDNumber(idNumber)
        try CertificateInput.requireHolderName(name)
        let holderName = BlindIndex.normalisedName(name)
        let entries = try await fromProjection {
            try await registry.entries(holderIndex: matching.holder(idNumber: idNumber),
                                       holderNameIndex: matching.holderName(idNumber: idNumber, name: holderName), legacyIDNumber: idNumber)
        }
        let found = entries.filter { $0.holderIndex != nil || $0.holderName.map(BlindIndex.normalisedName) == holderName }
        for entry in found {
            try await accessLog.record(staff, kind: .certificate, record: entry.certificateID, caseID: nil, purpose: "certificate-lookup",
                                       fields: [.idNumber, .name])
        }
        let now = clock.now()
        return found.map { Self.match($0, at: now) }
    }

    /// A certificate's issue and revocation read from the log with the keys this node holds.
    private func openedCertificate(_ id: String, stream: String) async throws
        -> (issued: HardshipCertificate.Event.Issued?, revocationReason: String?, opened: Set<PersonalField>) {
        let keys = try await keys.keys(for: id)
        var issued: HardshipCertificate.Event.Issued?, revocationReason: String?, opened: Set<PersonalField> = []
        for record in try await store.reader.readStream(stream) {
            let envelope = record.envelope
            guard let (event, fields) = try HardshipCertificate.Event.read(type: envelope.type, schemaVersion: envelope.schemaVersion,
                                                                          body: envelope.body, record: id, keys: keys) else { continue }
            opened.formUnion(fields.opened)
            switch event {
            case .issued(let body): issued = body
            case .revoked(let body): revocationReason = body.reason
            }
        }
        return (issued, revocationReason, opened)
    }

    private static func match(_ entry: CertificateRegistry.Entry, at now: Timestamp) -> CertificateMatch {
        CertificateMatch(
            certificateId: entry.certificateID,
            status: entry.revocationReason != nil ? .revoked : now > entry.validUntil ? .expired : .valid,
            issuingNode: NodeID(rawValue: entry.issuingNode) ?? NodeID(rawValue: "unknown")!,
            issuingCentre: CentreID(rawValue: entry.issuingCentre) ?? CentreID(rawValue: "unknown-centre")!,
            issuingEventHash: entry.issuingEventHash, validFrom: entry.validFrom, validUntil: entry.validUntil)
    }

    /// A field as read: empty where it stays sealed.
    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
}

/// What certificate commands and lookups take of a holder, checked where it enters.
package enum CertificateInput {
    /// Refuses an ID number that is not 17 digits and a digit or X: the form lookups search
    /// by, so a certificate is never issued to a holder no lookup could find.
    package static func requireIDNumber(_ idNumber: String) throws(WorkflowError) {
        let bytes = Array(idNumber.utf8)
        guard bytes.count == 18, bytes.prefix(17).allSatisfy({ (0x30...0x39).contains($0) }),
              (0x30...0x39).contains(bytes[17]) || bytes[17] == UInt8(ascii: "X")
        else { throw .invalid(field: "idNumber", reason: "expected 18 characters: 17 digits and a digit or X") }
    }

    /// Refuses a blank holder's name, or one a name could not be (the value rules' name rule).
    package static func requireHolderName(_ name: String) throws(WorkflowError) {
        if let reason = TextRule.name.violation(of: name) { throw .invalid(field: "name", reason: reason) }
        guard !BlindIndex.normalisedName(name).isEmpty else { throw .invalid(field: "name", reason: "give the holder's name") }
    }
}

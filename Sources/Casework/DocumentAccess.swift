import CaseDomain
import EventLog
import Foundation
import Projections

/// Who may read a scan, and as what. A scan is readable by staff of a centre that takes
/// part in a record (a case, an investigation) referring to it, by the supervisors of such
/// a centre's city and by auditors — the same rule as the record itself. It is served as
/// the record declares it (name, media type), never as its uploader labelled it.
package struct DocumentAccess: Sendable {
    /// A scan as the event that refers to it lists it.
    package struct Declared: Sendable, Hashable {
        /// The case (or investigation) that declares it, which the caller may read.
        package var record: String
        package var name: String
        /// `nil` when the event declares a type outside the allow-list (written before types
        /// were checked): such a scan is only ever served as `application/octet-stream`.
        package var mediaType: DocumentMediaType?
        /// The nodes taking part in a record that refers to the scan: the only ones that may
        /// hold it (a node serves a scan only to them), asked when this node lacks it.
        package var holders: Set<NodeID> = []
    }

    package let references: DocumentReferences
    package let reader: EventReader

    /// The entry of `sha256` in the first event, in log order, of a record `staff` may read;
    /// `nil` when no such record refers to it (whether or not another one does).
    package func declared(_ sha256: String, for staff: StaffMember) async throws -> Declared? {
        let referrers: [DocumentReferences.Referrer]
        do {
            referrers = try await references.referrers(of: sha256)
        } catch let behind as ProjectionBehind {
            throw WorkflowError.unavailable(behind.description)
        }
        let streams = referrers.filter { Self.mayRead(staff, participants: $0.participants) }.flatMap { referrer -> [String] in
            guard let id = UUID(uuidString: referrer.recordID) else { return [] }
            return [StreamID.caseFile(id).description, StreamID.investigation(id).description]
        }
        guard !streams.isEmpty else { return nil }
        for event in try await reader.events(ofStreams: streams) {
            guard case .array(let entries)? = event.envelope.body["documents"] else { continue }
            if let entry = entries.first(where: { $0["sha256"]?.stringValue == sha256 }) {
                return Declared(record: StreamID.kind(of: event.envelope.streamId)?.id ?? "", name: entry["name"]?.stringValue ?? "",
                                mediaType: entry["mediaType"]?.stringValue.flatMap(DocumentMediaType.init(rawValue:)),
                                holders: Set(referrers.flatMap { $0.participants.map(\.node) }))
            }
        }
        return nil
    }

    /// Whether `staff` reads a record `participants` take part in.
    package static func mayRead(_ staff: StaffMember, participants: Set<CentreID>) -> Bool {
        switch staff.role {
        case .auditor: true
        case .supervisor: participants.contains { $0.node == staff.centre.node }
        case .staff: participants.contains(staff.centre)
        }
    }

    package init(references: DocumentReferences, reader: EventReader) {
        self.references = references
        self.reader = reader
    }
}

import CaseDomain
import EventLog
import Federation
import Foundation
import Projections

/// How much of a record's personal data this node can show its reader.
package enum PersonalDataState: String, Encodable, Sendable {
    /// Every personal field of the record opened.
    case readable
    /// Some fields opened: what an investigation request shared.
    case partial
    /// None: this node holds ciphertext only (it takes no part, or the key has not arrived).
    case sealed
    /// The record was erased: its keys are destroyed on every node.
    case erased
}

/// Events of a record read with this node's keys: the domain's shape, what was opened.
package struct OpenedEvents: Sendable {
    package var bodies: [JSONValue]
    package var opened: Set<PersonalField> = []
    package var sealed: Set<PersonalField> = []

    package var state: PersonalDataState {
        if opened.isEmpty { return sealed.isEmpty ? .readable : .sealed }
        return sealed.isEmpty ? .readable : .partial
    }
}

extension Views {
    /// Opens the bodies of `events` (of one case and its investigations) with the keys this
    /// node holds for `caseID`; a body of a version this node cannot read is shown as stored.
    func open(_ events: [RecordedEvent], of caseID: String) async throws -> OpenedEvents {
        // An erased case opens nothing, even where this node's custodian has not yet destroyed the keys.
        let erased = events.contains { $0.envelope.type == "CaseErased" && StreamID.caseID(ofStream: $0.envelope.streamId) == caseID }
        let keys = erased ? .none : try await keys.keys(for: caseID)
        var opened = OpenedEvents(bodies: [])
        for event in events {
            let envelope = event.envelope
            guard let body = SealedBody.open(envelope.body, type: envelope.type, schemaVersion: envelope.schemaVersion,
                                             record: caseID, keys: keys) else {
                opened.bodies.append(envelope.body)
                continue
            }
            opened.bodies.append(body.body)
            opened.opened.formUnion(body.opened)
            opened.sealed.formUnion(body.sealed)
        }
        return opened
    }

    /// The case view with what its application says in plain text, where this node can
    /// open it: the name and the matter in full, ID and phone masked.
    package func caseView(_ record: CaseRecord, submitted: JSONValue?, state: PersonalDataState) -> CaseView {
        var view = Self.caseView(record)
        view.personalData = state
        // Only what this node opened now is shown: never what a projection row may hold.
        view.applicant?.name = nil
        view.applicant?.idNumber = nil
        view.applicant?.phone = nil
        view.matter?.summary = ""
        view.matter?.adverseParty = nil
        guard case .applicationSubmitted(let application)?? = submitted.map({ try? CaseEvent(type: "ApplicationSubmitted", body: $0) }) else {
            return view
        }
        view.applicant?.name = application.applicant.name.isEmpty ? nil : application.applicant.name
        view.applicant?.idNumber = application.applicant.idNumber.isEmpty ? nil : PersonalData.maskIDNumber(application.applicant.idNumber)
        view.applicant?.phone = application.applicant.phone.isEmpty ? nil : PersonalData.maskPhone(application.applicant.phone)
        view.matter?.summary = application.matter.summary
        view.matter?.adverseParty = application.matter.adverseParty.map { AdverseParty(name: $0.name, id: PersonalData.maskIDNumber($0.id)) }
        return view
    }

    /// The state of a case this node has erased, or `state`.
    package func erasedOr(_ state: PersonalDataState, _ caseID: String, record: CaseRecord) async throws -> PersonalDataState {
        if record.state.erased { return .erased }
        return try await keys.isErased(caseID) ? .erased : state
    }
}

extension Views {
    /// The applicants' names of `cases`, masked (`张*`), where this node opens them: what an
    /// inbox shows. Masked names are not read in plain text, so nothing is recorded.
    package func maskedApplicants(of cases: Set<String>) async throws -> [String: String] {
        let first = try await store.reader.firstEvents(ofStreams: cases.map { StreamID.stream(.caseFile, id: $0) })
        let keys = try await keys.keys(for: Array(cases))
        var names: [String: String] = [:]
        for event in first {
            let envelope = event.envelope
            // The name alone is opened: the rest of the application stays sealed.
            guard let caseID = StreamID.caseID(ofStream: envelope.streamId), envelope.type == "ApplicationSubmitted",
                  case .string(let name)? = SealedBody.values(of: .name, in: envelope.body, type: envelope.type, schemaVersion: envelope.schemaVersion,
                                                              record: caseID, keys: keys[caseID] ?? .none)?["applicant.name"],
                  !name.isEmpty else { continue }
            names[caseID] = PersonalData.maskName(name)
        }
        return names
    }

    /// `page` with each item's applicant name masked where this node opens it: from the
    /// sealed box the inbox keeps, or, for a row without one (projected before the inbox kept
    /// boxes, or of a plain-text application), from the case's application in the log.
    package func withApplicants(_ page: InboxQuery.Page) async throws -> InboxQuery.Page {
        let cases = Set(page.items.map(\.caseId))
        let boxed = cases.filter { page.nameBoxes[$0] != nil }
        let keys = try await keys.keys(for: Array(boxed))
        var names: [String: String] = [:]
        for caseID in boxed {
            guard let box = page.nameBoxes[caseID],
                  case .string(let name)? = SealedBody.values(inBox: box, of: .name, type: "ApplicationSubmitted", record: caseID,
                                                              keys: keys[caseID] ?? .none)?["applicant.name"],
                  !name.isEmpty else { continue }
            names[caseID] = PersonalData.maskName(name)
        }
        let unboxed = cases.subtracting(boxed)
        if !unboxed.isEmpty { names.merge(try await maskedApplicants(of: unboxed)) { opened, _ in opened } }
        var page = page
        for index in page.items.indices {
            page.items[index].applicant = names[page.items[index].caseId] ?? page.items[index].applicant
        }
        return page
    }
}

extension Views {
    /// Auditors read any record's access log; a supervisor that of a case owned by a centre
    /// of their city. Anyone else is refused as if the record did not exist to them.
    package func requireAccessLogReader(_ staff: StaffMember, of record: String) async throws {
        if staff.role == .auditor { return }
        let owner = try await fromProjection(for: staff) { try await cases.record(record) }?.state.owner
        guard staff.role == .supervisor, let owner, owner.node == staff.centre.node else {
            throw WorkflowError.forbidden("the access log of \(record) is for auditors and the supervisors of the owning centre's city")
        }
    }
}

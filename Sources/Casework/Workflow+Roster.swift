import CaseDomain
import Foundation

extension Workflow {
    /// `centre`'s roster as its stream holds it on this node.
    package func roster(of centre: CentreID) async throws -> LoadedStream<Roster.Event> {
        try await store.load(Roster.stream(of: centre), as: Roster.Event.self)
    }

    /// Gives `command` on the roster of the supervisor's centre, at `expectedVersion` when
    /// given; the answer names the lawyer and the roster's new version.
    package func act(onRoster command: Roster.Command, expectedVersion: Int64?, by staff: StaffMember) async throws -> WriteResult {
        let actor = try Self.writer(staff)
        let stream = Roster.stream(of: staff.centre)
        let loaded = try await roster(of: staff.centre)
        if let expectedVersion { try Self.check(expectedVersion, against: loaded.version) }
        let state = Roster.State(replaying: loaded.events)
        let events = try Self.decided { () throws(CommandError) in
            try Roster.decide(command, on: state, centre: staff.centre, actor: actor, role: Self.role(staff))
        }
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor,
                                                           record: staff.centre.rawValue, keys: .none)])
        let lawyer: String = switch command {
        case .list(let id, _, _, _, _), .update(let id, _, _, _, _): id
        }
        return WriteResult(id: lawyer, version: outcome[0].streamVersion)
    }

    /// Whom `command` (an assignment or a change of lawyer) on `caseID` names, once the
    /// staff member's centre is known to own the case: a centre that does not hold the case
    /// is refused as the command itself would be, before any roster is looked at.
    package func assignee(on caseID: String, for command: CaseCommand.Kind, lawyerID: String?, lawyer: String?, firm: String?,
                          by staff: StaffMember) async throws -> (lawyer: String, firm: String) {
        let loaded = try await store.load(try Self.caseStream(caseID), as: CaseEvent.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no case \(caseID)") }
        let owner = CaseState(replaying: loaded.events).owner
        guard owner == staff.centre else {
            throw WorkflowError.refused(.forbidden(command: command.rawValue, reason: "only the owning centre \(owner?.rawValue ?? "-") may do this"))
        }
        return try await assignee(lawyerID: lawyerID, lawyer: lawyer, firm: firm, by: staff)
    }

    /// Whom an assignment names: the roster's lawyer `lawyerID`, or, at a centre that keeps
    /// no roster, the `lawyer` and `firm` given. A centre with active roster lawyers assigns
    /// from its roster only.
    private func assignee(lawyerID: String?, lawyer: String?, firm: String?, by staff: StaffMember) async throws -> (lawyer: String, firm: String) {
        if let lawyerID {
            let picked = try await rosterLawyer(lawyerID, of: staff.centre)
            guard lawyer == nil || lawyer == picked.name, firm == nil || firm == picked.firm else {
                throw WorkflowError.invalid(field: "lawyer", reason: "the roster names lawyer \(lawyerID.prefix(64)) \(picked.name) of \(picked.firm); leave lawyer and firm out")
            }
            return (picked.name, picked.firm)
        }
        let roster = Roster.State(replaying: try await roster(of: staff.centre).events)
        guard !roster.lawyers.values.contains(where: \.active) else {
            throw WorkflowError.invalid(field: "lawyerId", reason: "\(staff.centre) assigns from its roster: give lawyerId, the roster's id of the lawyer")
        }
        guard let lawyer, let firm else { throw WorkflowError.invalid(field: lawyer == nil ? "lawyer" : "firm", reason: "is required (or lawyerId, from the roster)") }
        return (lawyer, firm)
    }

    /// The active roster lawyer `lawyerID` of the assigning centre, for an assignment that
    /// picks from the roster.
    package func rosterLawyer(_ lawyerID: String, of centre: CentreID?) async throws -> Roster.Lawyer {
        guard let centre else { throw WorkflowError.invalid(field: "lawyerId", reason: "a lawyer is assigned by a centre") }
        let state = Roster.State(replaying: try await roster(of: centre).events)
        guard let lawyer = state.lawyers[lawyerID.lowercased()] else {
            throw WorkflowError.invalid(field: "lawyerId", reason: "no lawyer \(lawyerID.prefix(64)) on the roster of \(centre)")
        }
        guard lawyer.active else { throw WorkflowError.invalid(field: "lawyerId", reason: "\(lawyer.name) is not taking cases (inactive on the roster)") }
        return lawyer
    }
}

import CaseDomain
import EventLog
import Foundation
import Logging

/// What a write answers: the record's id, its new version, and the number a grant or an
/// accepted investigation was given.
package struct WriteResult: Sendable, Hashable {
    package var id: String
    package var version: Int64
    package var number: String?

    package init(id: String, version: Int64, number: String? = nil) {
        self.id = id
        self.version = version
        self.number = number
    }
}

/// Carries staff commands to the domain and its events to the log: read the stream, check
/// the caller's `expectedVersion`, decide, append (with the centre's numbering register
/// when a number is given). Every refusal is a ``WorkflowError`` and writes nothing.
package struct Workflow: Sendable {
    package let store: StreamStore
    package let policies: [NodeID: CityPolicy]
    /// Every centre of the federation: the only valid targets of transfers and requests.
    package let centres: Set<CentreID>
    package let clock: NodeClock
    /// Run after a command that involves another node or erases a case.
    package let keyHandOver: KeyHandOver
    /// The blind index a certificate's holder is recorded and recognised by (Workflow+Certificates),
    /// and an application's parties are (the conflict check).
    package let matching: BlindIndex
    /// The conflict check an acceptance or a decision waits on.
    package let conflicts: ConflictGate
    /// Concurrent grants at one centre race for the register's next number; the losers
    /// re-read it and try again, this many times.
    private let numberingAttempts = 64

    // MARK: Cases

    /// Submits an application at the staff member's centre; a certificate basis is
    /// checked against the certificate register and the entry relied on is recorded.
    package func submit(_ command: CaseCommand, by staff: StaffMember) async throws -> WriteResult {
        let actor = try Self.writer(staff)
        if case .submit(_, let matter, _, _, _, _) = command { try requireKnown(matter.jurisdictionCentre, field: "matter.jurisdictionCentre") }
        let now = clock.now()
        var context = CaseContext(now: now, actor: actor, role: Self.role(staff), policies: policies)
        if case .submit(let applicant, _, _, .certificate(let certificateID), _, _) = command {
            context.recognisedCertificate = try await recognise(certificateID, for: applicant, at: now)
        }
        if case .submit(let applicant, let matter, _, _, _, _) = command {
            context.parties = PartyIndexes(applicantIndex: matching.holder(idNumber: applicant.idNumber),
                                           adversePartyIndex: matter.adverseParty.map { matching.holder(idNumber: $0.id) })
        }
        let id = UUID.version7(at: now)
        let stream = Self.caseStream(id)
        let events = try Self.decided { () throws(CommandError) in try CaseLifecycle.decide(command, on: CaseState(), context: context) }
        let keys = try await store.keys.create(for: Self.id(of: id))
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: 0, events: events, actor: actor, record: Self.id(of: id), keys: keys)])
        return WriteResult(id: Self.id(of: id), version: outcome[0].streamVersion)
    }

    /// Gives `command` on an existing case, if the case is at `expectedVersion`; accepting a
    /// transfer or deciding with the conflict check's findings needs `conflictReason`.
    package func act(on caseID: String, expectedVersion: Int64, _ command: CaseCommand, by staff: StaffMember,
             conflictReason: String? = nil) async throws -> WriteResult {
        try Self.requireVersion(expectedVersion)
        let actor = try Self.writer(staff)
        if case .requestTransfer(let target, _, _) = command { try requireKnown(target, field: "toCentre") }
        let stream = try Self.caseStream(caseID)
        let loaded = try await store.load(stream, as: CaseEvent.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no case \(caseID)") }
        let answersTransfer = command.answersTransfer
        if answersTransfer, let answered = Self.transferAnswered(in: loaded, after: expectedVersion, to: actor.centre) { throw answered }
        try Self.check(expectedVersion, against: loaded.version)
        let state = CaseState(replaying: loaded.events)
        var context = CaseContext(now: clock.now(), actor: actor, role: Self.role(staff), policies: policies)
        context.archivedAt = loaded.recorded.last { $0.envelope.type == "CaseArchived" }?.envelope.recordedAt
        // Gated commands are asked of the check only once the domain would take them, so a
        // centre without the right learns nothing of other cases.
        if ConflictGate.isGated(command) {
            _ = try Self.decided { () throws(CommandError) in
                var dryRun = context
                dryRun.allottedNumber = "DRY-RUN"
                return try CaseLifecycle.decide(command, on: state, context: dryRun)
            }
            context.conflictReason = try await conflicts.reason(for: caseID, given: conflictReason)
        }
        let record = StreamID.caseID(ofStream: stream) ?? caseID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        if case .erase = command, loaded.recorded.contains(where: { $0.envelope.schemaVersion == SealedBody.plainSchemaVersion }) {
            throw WorkflowError.conflict("case \(caseID) was recorded before sealing: its personal data is in plain text in every node's log, so destroying keys cannot erase it")
        }

        guard case .decide(true, _) = command, let centre = actor.centre else {
            let events = try Self.decided { () throws(CommandError) in try CaseLifecycle.decide(command, on: state, context: context) }
            let append = try StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor, record: record, keys: keys)
            let outcome = answersTransfer
                ? try await answerTransfer(stream, after: expectedVersion, by: actor.centre) { try await commit([append]) }
                : try await commit([append])
            switch command {
            case .requestTransfer, .erase: await keyHandOver.now(logger: Self.logger)
            default: break
            }
            return WriteResult(id: caseID, version: outcome[0].streamVersion)
        }
        // A grant numbers the case in the deciding centre's register, in the same commit.
        return try await numbered(kind: .case, centre: centre, stream: stream) { number throws in
            context.allottedNumber = number
            let events = try Self.decided { () throws(CommandError) in try CaseLifecycle.decide(command, on: state, context: context) }
            return (try StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor, record: record, keys: keys), caseID)
        }
    }

    /// The names of the commands on the case that `staff` could give now: a dry run of the
    /// domain's `decide` on the current state with placeholder inputs; nothing is written.
    /// The staff pages offer a form for each.
    package func allowedCommands(on caseID: String, by staff: StaffMember) async throws -> Set<String> {
        guard let actor = try? Self.writer(staff), let centre = actor.centre else { return [] }
        let loaded = try await store.load(try Self.caseStream(caseID), as: CaseEvent.self)
        let state = CaseState(replaying: loaded.events)
        let context = CaseContext(now: clock.now(), actor: actor, role: Self.role(staff), policies: policies, allottedNumber: "DRY-RUN")
        let elsewhere = centres.sorted { $0.rawValue < $1.rawValue }.first { $0 != centre && $0 != state.owner } ?? centre
        let candidates: [CaseCommand] = [
            .assess(eligible: true, reason: "-", missing: []),
            .supplyMaterials(documents: [Document(name: "-", mediaType: "application/pdf", size: 1, sha256: String(repeating: "0", count: 64))]),
            .requestTransfer(to: state.jurisdictionCentre.flatMap { $0 != state.owner ? $0 : nil } ?? elsewhere, reason: "-"),
            .acceptTransfer, .returnTransfer(code: .other, reason: "-"), .decide(granted: true, reason: "-"),
            .assignLawyer(lawyer: "-", firm: "-", chosenByApplicant: false), .collectOriginals,
            .close(outcome: "-", recoveredAmount: 0), .archive,
        ]
        var allowed = Set(candidates.filter { (try? CaseLifecycle.decide($0, on: state, context: context)) != nil }.map(\.name))
        if [.readyForDecision, .granted, .lawyerAssigned].contains(state.phase), state.owner == centre {
            allowed.insert("request-investigation")
        }
        // Recorded by the target's node on the sender's request (TransferCancellation).
        if state.phase == .transferPending, state.owner == centre {
            allowed.insert(CaseCommand.cancelTransfer(reason: "-", requestedBy: actor).name)
        }
        return allowed
    }

    /// The names of the commands on the investigation request that `staff` could give now
    /// (a dry run, as ``allowedCommands(on:by:)``).
    package func allowedInvestigationCommands(on investigationID: String, by staff: StaffMember) async throws -> Set<String> {
        guard let actor = try? Self.writer(staff) else { return [] }
        let loaded = try await store.load(try Self.investigationStream(investigationID), as: Investigation.Event.self)
        let state = Investigation.State(replaying: loaded.events)
        let now = clock.now()
        let candidates: [Investigation.Command] = [
            .accept(number: "DRY-RUN"), .decline(reason: "-"), .assignLawyer(lawyer: "-", firm: "-"), .report(findings: "-", documents: []), .acknowledge,
            .requestExtension(days: 1, reason: "-"),
        ]
        var allowed = Set(candidates.filter { (try? Investigation.decide($0, on: state, now: now, actor: actor)) != nil }.map(\.name))
        // Recorded by the requested centre's node on the requester's behalf (ExtensionDecision).
        let decision = Investigation.Command.decideExtension(granted: true, reason: "-", requestedBy: actor)
        if state.requester == actor.centre, (try? Investigation.decide(decision, on: state, now: now, actor: .system)) != nil {
            allowed.insert(decision.name)
        }
        return allowed
    }

    // MARK: Investigations

    /// Requests an investigation for a case the staff member's centre owns.
    package func requestInvestigation(for caseID: String, toCentre: CentreID, questions: [String], dueDays: Int,
                              shares: [PersonalField] = [], legalBasis: String? = nil, by staff: StaffMember) async throws -> WriteResult {
        let actor = try Self.writer(staff)
        let caseStream = try Self.caseStream(caseID)
        let loaded = try await store.load(caseStream, as: CaseEvent.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no case \(caseID)") }
        let state = CaseState(replaying: loaded.events)
        let command = Investigation.Command.request(caseStream: caseStream, toCentre: toCentre, questions: questions, dueDays: dueDays,
                                                    shares: shares, legalBasis: legalBasis)
        guard [.readyForDecision, .granted, .lawyerAssigned].contains(state.phase) else {
            throw WorkflowError.refused(CommandError.invalidTransition(command: command.name, phase: state.phase.rawValue))
        }
        guard state.owner == actor.centre else {
            throw WorkflowError.refused(CommandError.forbidden(command: command.name, reason: "only the handling centre \(state.owner?.rawValue ?? "-") requests investigations for this case"))
        }
        try requireKnown(toCentre, field: "toCentre")
        // A request to another city shares its questions (and `shares`): consent to checks, or a legal basis.
        if toCentre.node != actor.centre?.node {
            try Self.decided { () throws(CommandError) in try state.requireConsent(.checksByOtherCities, for: command.name, legalBasis: legalBasis) }
        }
        let now = clock.now()
        let id = UUID.version7(at: now)
        let stream = Self.investigationStream(id)
        let events = try Self.decided { () throws(CommandError) in try Investigation.decide(command, on: .init(), now: now, actor: actor) }
        let record = StreamID.caseID(ofStream: caseStream) ?? caseID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        let outcome = try await commit([StreamStore.append(stream, expectedVersion: 0, events: events, actor: actor, record: record, keys: keys)])
        await keyHandOver.now(logger: Self.logger)
        return WriteResult(id: Self.id(of: id), version: outcome[0].streamVersion)
    }

    /// Gives `command` on an investigation request, if it is at `expectedVersion` (`nil`:
    /// whatever version the command is decided on); accepting it numbers it in the accepting
    /// centre's register.
    package func act(onInvestigation investigationID: String, expectedVersion: Int64?, _ command: Investigation.Command, by staff: StaffMember) async throws -> WriteResult {
        if let expectedVersion { try Self.requireVersion(expectedVersion) }
        let actor = try Self.writer(staff)
        let stream = try Self.investigationStream(investigationID)
        let loaded = try await store.load(stream, as: Investigation.Event.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no investigation request \(investigationID)") }
        if let expectedVersion { try Self.check(expectedVersion, against: loaded.version) }
        let state = Investigation.State(replaying: loaded.events)
        let now = clock.now()
        // An investigation's personal data is its case's: sealed with the case's keys.
        let record = state.caseStream.flatMap(StreamID.caseID(ofStream:)) ?? investigationID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        guard case .accept = command, let centre = actor.centre else {
            let events = try Self.decided { () throws(CommandError) in try Investigation.decide(command, on: state, now: now, actor: actor) }
            let outcome = try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor, record: record, keys: keys)])
            return WriteResult(id: investigationID, version: outcome[0].streamVersion)
        }
        return try await numbered(kind: .investigation, centre: centre, stream: stream) { number throws in
            let events = try Self.decided { () throws(CommandError) in try Investigation.decide(.accept(number: number), on: state, now: now, actor: actor) }
            return (try StreamStore.append(stream, expectedVersion: state.version, events: events, actor: actor, record: record, keys: keys), investigationID)
        }
    }

    /// The keys of `record`; for a record written before sealing (schema version 1 only,
    /// no key anywhere) a new key, made here, so its next events are sealed.
    package func keys(of record: String, writtenBefore recorded: [RecordedEvent]) async throws -> RecordKeys {
        let keys = try await store.keys.keys(for: record)
        guard keys.readableFields.isEmpty, !recorded.isEmpty,
              recorded.allSatisfy({ $0.envelope.schemaVersion == SealedBody.plainSchemaVersion }) else { return keys }
        return try await store.keys.create(for: record)
    }

    // MARK: Numbering and commits

    /// Commits the append `build` makes for the register's next number, together with
    /// the register's entry; a lost race for the number is retried with the next one.
    private func numbered(kind: Numbering.Kind, centre: CentreID, stream: String,
                          _ build: (String) throws -> (StreamAppend, String)) async throws -> WriteResult {
        let year = Numbering.year(at: clock.now())
        let register = Numbering.stream(kind: kind, centre: centre, year: year)
        for _ in 0..<numberingAttempts {
            let taken = try await store.reader.streamVersion(register)
            let number = Numbering.number(kind: kind, centre: centre, year: year, sequence: taken + 1)
            let (append, id) = try build(number)
            let entry = NewEvent(type: Numbering.NumberAllotted.type, actor: append.events[0].actor,
                                 body: try CanonicalJSON.jsonValue(of: Numbering.NumberAllotted(number: number, stream: stream)))
            do {
                let outcome = try await store.commit([append, StreamAppend(stream: register, expectedVersion: taken, events: [entry])])
                return WriteResult(id: id, version: outcome[0].streamVersion, number: number)
            } catch .conflict(let conflicted, _, _) where conflicted == register {
                continue
            } catch {
                throw WorkflowError.notAppended(error)
            }
        }
        throw WorkflowError.unavailable("could not take a number in \(register) after \(numberingAttempts) attempts: too many concurrent grants, retry")
    }

    package func commit(_ appends: [StreamAppend]) async throws(WorkflowError) -> [AppendOutcome] {
        do {
            return try await store.commit(appends)
        } catch {
            throw .notAppended(error)
        }
    }

    // MARK: Helpers

    private func requireKnown(_ centre: CentreID, field: String) throws(WorkflowError) {
        guard centres.contains(centre) else { throw WorkflowError.invalid(field: field, reason: "no centre '\(centre)' in the federation") }
    }

    static func decided<Value>(_ decide: () throws(CommandError) -> Value) throws(WorkflowError) -> Value {
        do {
            return try decide()
        } catch {
            throw .refused(error)
        }
    }

    /// Refuses a version no record can be at: a malformed value, not a conflict.
    static func requireVersion(_ expected: Int64) throws(WorkflowError) {
        guard expected >= 0 else { throw .invalid(field: "expectedVersion", reason: "a record's version: 0 or more") }
    }

    static func check(_ expected: Int64, against actual: Int64) throws(WorkflowError) {
        try requireVersion(expected)
        guard expected == actual else { throw WorkflowError.notAppended(AppendError.conflict(stream: "", expected: expected, actual: actual)) }
    }

    /// The actor a write is recorded as; auditors read only.
    static func writer(_ staff: StaffMember) throws(WorkflowError) -> Actor {
        guard staff.role != .auditor else { throw WorkflowError.forbidden("auditors read; they do not act on records") }
        return Actor(centre: staff.centre, staff: staff.staff)
    }

    package static func role(_ staff: StaffMember) -> CaseContext.Role {
        staff.role == .supervisor ? .supervisor : .staff
    }

    package static let logger = Logger(label: "tongban.workflow")

    package static func id(of uuid: UUID) -> String { uuid.uuidString.lowercased() }

    package static func caseStream(_ id: UUID) -> String { StreamID.caseFile(id).description }
    package static func investigationStream(_ id: UUID) -> String { StreamID.investigation(id).description }
    package static func certificateStream(_ id: UUID) -> String { StreamID.certificate(id).description }

    package static func caseStream(_ id: String) throws(WorkflowError) -> String {
        guard let uuid = UUID(uuidString: id) else { throw WorkflowError.notFound("no case \(id): case ids are UUIDs") }
        return caseStream(uuid)
    }

    package static func investigationStream(_ id: String) throws(WorkflowError) -> String {
        guard let uuid = UUID(uuidString: id) else { throw WorkflowError.notFound("no investigation request \(id): ids are UUIDs") }
        return investigationStream(uuid)
    }

    package static func certificateStream(_ id: String) throws(WorkflowError) -> String {
        guard let uuid = UUID(uuidString: id) else { throw WorkflowError.notFound("no certificate \(id): certificate ids are UUIDs") }
        return certificateStream(uuid)
    }

    /// - Parameters:
    ///   - centres: every centre of the federation (a command naming another is refused).
    ///   - conflicts: the check a transfer's acceptance and a grant pass through.
    package init(store: StreamStore, policies: [NodeID: CityPolicy], centres: Set<CentreID>, clock: NodeClock, keyHandOver: KeyHandOver, matching: BlindIndex, conflicts: ConflictGate) {
        self.store = store
        self.policies = policies
        self.centres = centres
        self.clock = clock
        self.keyHandOver = keyHandOver
        self.matching = matching
        self.conflicts = conflicts
    }
}

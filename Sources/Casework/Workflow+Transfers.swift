import CaseDomain
import EventLog

extension Workflow {
    /// Records on this node, the receiving centre's, that the sending centre cancelled a
    /// pending transfer: while it is pending this node alone writes the case (invariant 5),
    /// so a cancel and an accept are ordered by one appender and never both win.
    /// - Parameters:
    ///   - receivingCentres: the centres this node serves; the transfer's target must be one.
    ///   - requester: the sending centre's staff member who asked (checked by the domain).
    package func recordCancellation(of caseID: String, expectedVersion: Int64, reason: String, requestedBy requester: Actor,
                            receivingCentres: Set<CentreID>) async throws -> WriteResult {
        let stream = try Self.caseStream(caseID)
        let loaded = try await store.load(stream, as: CaseEvent.self)
        guard loaded.version > 0 else { throw WorkflowError.notFound("no case \(caseID)") }
        if let answered = Self.transferAnswered(in: loaded, after: expectedVersion, to: requester.centre) { throw answered }
        try Self.check(expectedVersion, against: loaded.version)
        let state = CaseState(replaying: loaded.events)
        if state.phase == .transferPending, let target = state.transferTarget, !receivingCentres.contains(target) {
            throw WorkflowError.forbidden("the transfer of case \(caseID) is pending at \(target), which this node does not serve")
        }
        let context = CaseContext(now: clock.now(), actor: .system, policies: policies)
        let command = CaseCommand.cancelTransfer(reason: reason, requestedBy: requester)
        let events = try Self.decided { () throws(CommandError) in try CaseLifecycle.decide(command, on: state, context: context) }
        let record = StreamID.caseID(ofStream: stream) ?? caseID
        let keys = try await keys(of: record, writtenBefore: loaded.recorded)
        let outcome = try await answerTransfer(stream, after: expectedVersion, by: requester.centre) {
            try await commit([StreamStore.append(stream, expectedVersion: state.version, events: events, actor: .system, record: record, keys: keys)])
        }
        return WriteResult(id: caseID, version: outcome[0].streamVersion)
    }

    /// Commits an answer to a pending transfer; when another answer committed first, the
    /// refusal says which (``transferAnswered(in:after:)``) rather than only the version.
    func answerTransfer(_ stream: String, after expectedVersion: Int64, by centre: CentreID?,
                        _ commit: () async throws -> [AppendOutcome]) async throws -> [AppendOutcome] {
        do {
            return try await commit()
        } catch let error as WorkflowError where error.isConflict {
            throw Self.transferAnswered(in: try await store.load(stream, as: CaseEvent.self), after: expectedVersion, to: centre) ?? error
        }
    }

    /// The refusal for `centre`, acting on a transfer that was answered (accepted, returned
    /// or cancelled) after `expectedVersion`, the version it saw; `nil` if none was, or if
    /// `centre` is neither end of that transfer (a stranger learns nothing of the answer).
    static func transferAnswered(in loaded: LoadedStream<CaseEvent>, after expectedVersion: Int64, to centre: CentreID?) -> WorkflowError? {
        let start = Int(clamping: max(0, expectedVersion))
        guard start < loaded.events.count, let centre else { return nil }
        // The latest answer: after a return and a second transfer, the one that counts now.
        for index in (start..<loaded.events.count).reversed() {
            guard let answer = loaded.events[index].transferAnswer else { continue }
            let transfer = loaded.events[..<index].last { if case .transferRequested = $0 { true } else { false } }
            guard case .transferRequested(let requested)? = transfer, [requested.fromCentre, requested.toCentre].contains(centre) else {
                return nil
            }
            let at = loaded.recorded[index].envelope.recordedAt
            return WorkflowError.conflict("the transfer was already \(answer) at \(at) (version \(index + 1)): re-read the case",
                           currentVersion: loaded.version)
        }
        return nil
    }
}

import CaseDomain
import EventLog
import PostgresNIO

/// An accepted event of a batch as the projector reads it: one this node can read, or one
/// it cannot (every projection parks that one).
enum BatchEvent: Sendable {
    case readable(ProjectedEvent)
    case unreadable(UnreadableEvent)

    init(_ recorded: RecordedEvent) {
        do {
            self = .readable(try ProjectedEvent(recorded))
        } catch {
            self = .unreadable(error)
        }
    }

    var recorded: RecordedEvent {
        switch self {
        case .readable(let event): event.recorded
        case .unreadable(let event): event.recorded
        }
    }

    /// The case an investigation request names, read from the envelope's body (so that an
    /// unreadable request names it too).
    var caseStream: String? {
        let envelope = recorded.envelope
        guard StreamID.kind(of: envelope.streamId)?.kind == .investigation, envelope.type == "InvestigationRequested" else { return nil }
        // Parsed strictly: only a real case stream counts (an old event's body may hold anything).
        return envelope.body["caseStream"]?.stringValue.flatMap(StreamID.init).flatMap { $0.caseID == nil ? nil : $0.description }
    }

    /// The streams whose parked events this one waits behind: its own, whose events fold in
    /// order, and the case a request names (the inbox shows a request with its case's
    /// applicant). Other streams' events are independent of it in every projection.
    var streamsWaitedOn: [String] {
        [recorded.envelope.streamId] + (caseStream.map { [$0] } ?? [])
    }
}

/// Which failures park an event rather than stop the projection.
enum Parking {
    /// Why `error`, raised while applying one event, is that event's own doing: PostgreSQL
    /// refused the rows it makes (a data exception such as U+0000 in `jsonb`, a constraint,
    /// a size limit) or its data cannot be encoded. `nil` for any other failure (a lost
    /// connection, a deadlock, a fault in the projection's own SQL): those would fail any
    /// event, so the batch is rolled back and retried instead.
    static func refusal(_ error: any Error) -> String? {
        if let error = error as? PSQLError {
            guard let state = error.serverInfo?[.sqlState], ["22", "23", "54"].contains(state.prefix(2)) else { return nil }
            return describePostgresError(error)
        }
        if error is EncodingError || error is DecodingError || error is CanonicalJSON.Error {
            return String(describing: error)
        }
        return nil
    }
}

import CaseDomain

/// Invariant 5 on import: which node may append a stream's next event follows from the
/// stream's own accepted events.
///
/// The appender asks the rules about every imported event that follows its stream. An
/// event they refuse is kept and signed like any other, but quarantined with their reason:
/// it takes no stream version and projections skip it. Because every node judges an event
/// by the same accepted history, every node accepts and quarantines the same events.
public protocol StreamWriterRules: Sendable {
    /// What the rules remember of one stream.
    associatedtype StreamState: Sendable

    /// The state of `stream` before its first event.
    func initialState(of stream: String) -> StreamState

    /// `state` once `event` is accepted, or why `event` may not follow `state` (its origin
    /// node is not the stream's writer, its body cannot be read, …).
    func state(_ state: StreamState, after event: EventEnvelope) throws(StreamWriterRefusal) -> StreamState
}

/// Why an imported event may not be accepted into its stream.
public struct StreamWriterRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// The rules applied to one group commit: the state of each stream the group's imports
/// touch, from its accepted events in the log and then the group's own accepted rows.
struct StreamWriterJudge: Sendable {
    private var judge: any StreamJudging

    /// - Parameter histories: for every stream an import of the group touches, its accepted
    ///   events in the log in stream order (empty for a new stream).
    init(rules: some StreamWriterRules, histories: [String: [EventEnvelope]]) {
        judge = TypedJudge(rules: rules, histories: histories)
    }

    /// Why the imported `event` (the next version of its stream) may not be accepted; when
    /// it may, the stream's state moves on past it.
    mutating func refusal(of event: EventEnvelope) -> StreamWriterRefusal? {
        judge.refusal(of: event)
    }

    /// Moves a judged stream past a local event accepted in the same group.
    mutating func record(_ event: EventEnvelope) {
        judge.record(event)
    }
}

private protocol StreamJudging: Sendable {
    mutating func refusal(of event: EventEnvelope) -> StreamWriterRefusal?
    mutating func record(_ event: EventEnvelope)
}

private struct TypedJudge<Rules: StreamWriterRules>: StreamJudging {
    let rules: Rules
    var states: [String: Rules.StreamState] = [:]

    init(rules: Rules, histories: [String: [EventEnvelope]]) {
        self.rules = rules
        for (stream, history) in histories {
            // The log's accepted events stand, whatever the rules would say of them now.
            states[stream] = history.reduce(rules.initialState(of: stream)) { state, event in
                (try? rules.state(state, after: event)) ?? state
            }
        }
    }

    mutating func refusal(of event: EventEnvelope) -> StreamWriterRefusal? {
        let stream = event.streamId
        let state = states[stream] ?? rules.initialState(of: stream)
        do {
            states[stream] = try rules.state(state, after: event)
            return nil
        } catch {
            return error
        }
    }

    mutating func record(_ event: EventEnvelope) {
        guard let state = states[event.streamId] else { return }
        states[event.streamId] = (try? rules.state(state, after: event)) ?? state
    }
}

import CaseDomain
import EventLog
import Foundation
import Logging

/// A stream read back as domain events, with what the log recorded about each.
struct LoadedStream<Event: DomainEvent>: Sendable {
    var events: [Event]
    var recorded: [RecordedEvent]
    var version: Int64 { Int64(events.count) }
}

/// Reads streams as domain events and appends domain events: the one place the node's
/// HTTP layer touches the log.
struct StreamStore: Sendable {
    let appender: EventAppender
    let reader: EventReader

    /// The events of `stream` as `Event`s; a type this version cannot read is an error,
    /// never skipped (the state would be wrong).
    func load<Event: DomainEvent>(_ stream: String, as _: Event.Type) async throws -> LoadedStream<Event> {
        let recorded = try await reader.readStream(stream)
        var events: [Event] = []
        for record in recorded {
            let envelope = record.envelope
            guard let event = try Event(type: envelope.type, body: envelope.body) else {
                throw Problem(.internalError, "\(stream) version \(envelope.streamVersion) has event type \(envelope.type), which this node cannot read")
            }
            events.append(event)
        }
        return LoadedStream(events: events, recorded: recorded)
    }

    /// One stream's part of an append, built from domain events.
    static func append(_ stream: String, expectedVersion: Int64, events: [some DomainEvent], actor: Actor) throws -> StreamAppend {
        StreamAppend(stream: stream, expectedVersion: expectedVersion,
                     events: try events.map { NewEvent(type: $0.type, actor: actor, body: try $0.body()) })
    }

    /// Appends all of `appends` or nothing.
    func commit(_ appends: [StreamAppend]) async throws(AppendError) -> [AppendOutcome] {
        try await appender.appendAtomically(appends)
    }
}

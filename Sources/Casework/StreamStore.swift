import CaseDomain
import EventLog
import Federation
import Foundation
import Logging

/// A stream read back as domain events, with what the log recorded about each.
package struct LoadedStream<Event: DomainEvent>: Sendable {
    package var events: [Event]
    package var recorded: [RecordedEvent]
    package var version: Int64 { Int64(events.count) }
}

/// Reads streams as domain events and appends domain events, their personal data sealed:
/// the one place the application layer touches the log.
package struct StreamStore: Sendable {
    package let appender: EventAppender
    package let reader: EventReader
    package let keys: RecordKeyStore

    /// The events of `stream` as `Event`s, personal data left sealed (decisions do not read
    /// it); a type this version cannot read is an error, never skipped (the state would be wrong).
    package func load<Event: DomainEvent>(_ stream: String, as _: Event.Type) async throws -> LoadedStream<Event> {
        let recorded = try await reader.readStream(stream)
        var events: [Event] = []
        for record in recorded {
            let envelope = record.envelope
            guard let (event, _) = try Event.read(type: envelope.type, schemaVersion: envelope.schemaVersion, body: envelope.body, record: nil) else {
                throw WorkflowError.unreadable("\(stream) version \(envelope.streamVersion) has event type \(envelope.type), which this node cannot read")
            }
            events.append(event)
        }
        return LoadedStream(events: events, recorded: recorded)
    }

    /// One stream's part of an append, built from domain events: each body checked against
    /// the value rules in plain text, then its personal data sealed with `record`'s keys.
    package static func append(_ stream: String, expectedVersion: Int64, events: [some DomainEvent], actor: Actor,
                       record: String, keys: RecordKeys) throws -> StreamAppend {
        StreamAppend(stream: stream, expectedVersion: expectedVersion, events: try events.map { event in
            let body = try checkedBody(of: event)
            do {
                let sealed = try SealedBody.seal(body, type: event.type, record: record, keys: keys)
                return NewEvent(type: event.type, schemaVersion: SealedBody.schemaVersion, actor: actor, body: sealed)
            } catch let missing as SealedBody.MissingKey {
                throw WorkflowError.keyMissing(missing)
            }
        })
    }

    /// The event's body in plain text, checked against the federation's value rules (a refusal
    /// naming the field that breaks them).
    static func checkedBody(of event: some DomainEvent) throws -> JSONValue {
        let body = try event.body()
        do throws(EventValueRules.Violation) { try EventValueRules.check(body: body) } catch {
            throw WorkflowError.notAppended(AppendError.invalidValue(field: error.field, reason: error.reason))
        }
        return body
    }

    /// Appends all of `appends` or nothing.
    package func commit(_ appends: [StreamAppend]) async throws(AppendError) -> [AppendOutcome] {
        try await appender.appendAtomically(appends)
    }

    /// Streams read with `reader`, appended with `appender`, sealed with the record keys in `keys`.
    package init(appender: EventAppender, reader: EventReader, keys: RecordKeyStore) {
        self.appender = appender
        self.reader = reader
        self.keys = keys
    }
}

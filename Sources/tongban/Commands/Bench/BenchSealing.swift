import CaseDomain
import EventLog

/// Personal data sealed and opened as a node does it, for the benchmarks to measure what
/// sealing costs a write and opening costs a read.
enum BenchSealing {
    /// What the node's write path (`StreamStore.append`) does to a new event: the value
    /// rules checked on the plain body, then the personal fields sealed with the record's
    /// keys, under the sealed schema version.
    static func seal(_ event: NewEvent, record: String, keys: RecordKeys) throws -> NewEvent {
        try EventValueRules.check(body: event.body)
        let body = try SealedBody.seal(event.body, type: event.type, record: record, keys: keys)
        return NewEvent(type: event.type, schemaVersion: SealedBody.schemaVersion, actor: event.actor, body: body)
    }

    /// `append` with every event sealed for `record`.
    static func seal(_ append: StreamAppend, record: String, keys: RecordKeys) throws -> StreamAppend {
        StreamAppend(stream: append.stream, expectedVersion: append.expectedVersion,
                     events: try append.events.map { try seal($0, record: record, keys: keys) })
    }

    /// Opens every body of `events` (of case streams) with its case's keys, as a party node
    /// does for display; an event whose case has no keys here, or a field that stays
    /// sealed, is an error.
    static func open(_ events: [RecordedEvent], keys: [String: RecordKeys]) throws {
        for event in events {
            let envelope = event.envelope
            guard let record = StreamID.caseID(ofStream: envelope.streamId), let recordKeys = keys[record] else {
                throw BenchWorkloadError(message: "no record keys for \(envelope.streamId) at position \(event.globalPosition)")
            }
            guard let body = SealedBody.open(envelope.body, type: envelope.type, schemaVersion: envelope.schemaVersion,
                                             record: record, keys: recordKeys), body.sealed.isEmpty else {
                throw BenchWorkloadError(message: "\(envelope.type) at position \(event.globalPosition) did not open with its case's keys")
            }
        }
    }
}

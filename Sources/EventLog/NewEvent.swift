import CaseDomain

/// An event a caller wants appended: the appender gives it its identity, position in the
/// stream and in the origin chain, hash and signature.
public struct NewEvent: Sendable, Hashable {
    public var type: String
    public var schemaVersion: Int
    public var actor: Actor
    public var body: JSONValue

    public init(type: String, schemaVersion: Int = 1, actor: Actor, body: JSONValue) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.actor = actor
        self.body = body
    }
}

/// Events for one stream, expected at a version: one part of an (atomic) append.
public struct StreamAppend: Sendable, Hashable {
    public var stream: String
    /// The stream's version before the append; 0 when the stream must not exist yet.
    public var expectedVersion: Int64
    public var events: [NewEvent]

    public init(stream: String, expectedVersion: Int64, events: [NewEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// An event as this node's log holds it: the signed event plus where it sits locally.
public struct RecordedEvent: Sendable, Hashable {
    public let signed: SignedEvent
    /// 1..n in commit order on this node.
    public let globalPosition: Int64
    /// When this node stored it, in milliseconds (its own clock).
    public let receivedAt: Timestamp
    /// Why the event was quarantined on import, or `nil` for an accepted event.
    public let quarantineReason: String?

    public var envelope: EventEnvelope { signed.envelope }
}

import CaseDomain

/// Why an append wrote nothing.
public enum AppendError: Error, Hashable, CustomStringConvertible {
    /// The stream is not at the version the caller expected.
    case conflict(stream: String, expected: Int64, actual: Int64)
    /// The request itself is malformed.
    case invalid(String)
    /// A value of an event breaks the federation's value rules (``EventValueRules``).
    case invalidValue(field: String, reason: String)
    /// PostgreSQL failed; the outcome of the batch is reported by the message.
    case database(String)
    /// This node's key may not sign: its chain changed away from it, or the federation
    /// marks it compromised. The node's state, not the request, is at fault.
    case signingKeyUnusable(String)

    public var description: String {
        switch self {
        case .signingKeyUnusable(let reason): reason
        case .conflict(let stream, let expected, let actual): "stream \(stream) is at version \(actual), not the expected \(expected)"
        case .invalid(let reason): "invalid append: \(reason)"
        case .invalidValue(let field, let reason): "\(field): \(reason)"
        case .database(let message): "event store failure: \(message)"
        }
    }
}

/// Why an import batch was rejected; nothing of the batch was written.
public enum ImportError: Error, Hashable, CustomStringConvertible {
    /// One event of the batch fails its integrity check.
    case rejected(origin: NodeID, seq: Int64, eventId: String, reason: IntegrityError)
    /// An event claims an origin position this node already holds with another hash:
    /// the origin forked its chain.
    case forked(origin: NodeID, seq: Int64, held: EventHash, received: EventHash)
    /// PostgreSQL failed.
    case database(String)

    public var description: String {
        switch self {
        case .rejected(let origin, let seq, let eventId, let reason): "batch rejected at \(origin) seq \(seq) (event \(eventId)): \(reason)"
        case .forked(let origin, let seq, let held, let received): "batch rejected: \(origin) seq \(seq) is held with hash \(held) but arrived with hash \(received)"
        case .database(let message): "event store failure: \(message)"
        }
    }

    /// The origin refused, for a refusal of one origin's events (`nil`: the store failed).
    public var origin: NodeID? {
        switch self {
        case .rejected(let origin, _, _, _), .forked(let origin, _, _, _): origin
        case .database: nil
        }
    }

    /// `event` fails its integrity check for `reason`.
    static func rejected(event envelope: EventEnvelope, reason: IntegrityError) -> ImportError {
        .rejected(origin: envelope.originNode, seq: envelope.originSeq, eventId: envelope.eventId.uuidString.lowercased(), reason: reason)
    }
}

/// What an accepted import did.
public struct ImportOutcome: Sendable, Hashable {
    /// Events newly stored (quarantined ones included).
    public var imported: Int
    /// Events the log already held (same origin position, same hash): skipped.
    public var alreadyHeld: Int
    /// Events stored but quarantined, with the reason.
    public var quarantined: [EventHash: String]
    /// Origins whose events were refused (nothing of theirs written), and why.
    public var refused: [NodeID: ImportError]
    /// Events not written because they follow a refused one in their stream or chain:
    /// they are imported once what they follow is.
    public var deferred: Int

    public init(imported: Int = 0, alreadyHeld: Int = 0, quarantined: [EventHash: String] = [:],
                refused: [NodeID: ImportError] = [:], deferred: Int = 0) {
        self.imported = imported
        self.alreadyHeld = alreadyHeld
        self.quarantined = quarantined
        self.refused = refused
        self.deferred = deferred
    }
}

/// What a successful append wrote.
public struct AppendOutcome: Sendable, Hashable {
    /// The stream's version after the append.
    public let streamVersion: Int64
    /// The global positions of the appended events, in order.
    public let globalPositions: [Int64]
    /// The signed events, in order.
    public let events: [SignedEvent]
}

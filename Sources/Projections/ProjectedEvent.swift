import CaseDomain
import EventLog

/// An event as projections receive it: what the log recorded and, read once for all of
/// them, the domain event it carries. A class: a batch is handed to every projection and
/// iterated several times, and a reference is one retain where this struct's copy was dozens.
public final class ProjectedEvent: Sendable {
    /// The domain event of a case, investigation or certificate stream, with the stream's id.
    public enum Domain: Sendable {
        case caseEvent(caseID: String, CaseEvent)
        case investigation(id: String, Investigation.Event)
        case certificate(id: String, HardshipCertificate.Event)
        /// A delivery receipt's event, with its stream's id.
        case delivery(stream: String, Delivery.Event)
    }

    public let recorded: RecordedEvent
    /// `nil` for a numbering register's or a roster's event or a node's key change: no projection reads them.
    public let domain: Domain?

    public var envelope: EventEnvelope { recorded.envelope }

    /// Reads the domain event. An event this node cannot read is refused with why (and
    /// parked by every projection, never skipped): a stream kind, type or schema version
    /// this version does not know (a peer upgraded first), a known type whose body does not
    /// decode.
    public init(_ recorded: RecordedEvent) throws(UnreadableEvent) {
        self.recorded = recorded
        let envelope = recorded.envelope
        let stream = envelope.streamId
        let kind = StreamID.kind(of: stream)
        if let (kind, id) = kind, kind == .caseFile {
            domain = .caseEvent(caseID: id, try Self.read(CaseEvent.self, recorded))
        } else if let (kind, id) = kind, kind == .investigation {
            domain = .investigation(id: id, try Self.read(Investigation.Event.self, recorded))
        } else if let (kind, id) = kind, kind == .certificate {
            domain = .certificate(id: id, try Self.read(HardshipCertificate.Event.self, recorded))
        } else if Numbering.centre(ofRegister: stream) != nil, envelope.type == Numbering.NumberAllotted.type,
                  envelope.schemaVersion == Numbering.NumberAllotted.schemaVersion {
            domain = nil
        } else if let (kind, _) = kind, kind == .delivery {
            domain = .delivery(stream: stream, try Self.read(Delivery.Event.self, recorded))
        } else if let (kind, _) = kind, kind == .roster {
            // A centre's roster: the workflow reads it from its stream, no projection does.
            _ = try Self.read(Roster.Event.self, recorded)
            domain = nil
        } else if NodeKeyChange.newKey(in: envelope) != nil {
            // A node's key change: the keyring's, no projection's.
            domain = nil
        } else {
            throw UnreadableEvent(recorded, "unknown event type \(envelope.type) (schema version \(envelope.schemaVersion)) in stream \(stream): this node's version does not read it")
        }
    }

    /// Reads the event as every node can: sealed personal data stays sealed (placeholders),
    /// so what projections hold is the same on every node and after an erasure.
    private static func read<Event: DomainEvent>(_: Event.Type, _ recorded: RecordedEvent) throws(UnreadableEvent) -> Event {
        let envelope = recorded.envelope
        // An event written before the value rules (a NUL, a control character) is parked by
        // this check on the event alone, never by whether PostgreSQL happened to see the
        // value (a later event of the same batch can overwrite it): every rebuild parks it alike.
        do throws(EventValueRules.Violation) { try EventValueRules.check(body: envelope.body) } catch {
            throw UnreadableEvent(recorded, "\(envelope.type) breaks the value rules: \(error)")
        }
        let known: Event?
        do {
            known = try Event.read(type: envelope.type, schemaVersion: envelope.schemaVersion, body: envelope.body, record: nil)?.event
        } catch {
            throw UnreadableEvent(recorded, "malformed body of \(envelope.type) (schema version \(envelope.schemaVersion)): \(error)")
        }
        guard let known else {
            throw UnreadableEvent(recorded, "unknown event type \(envelope.type) (schema version \(envelope.schemaVersion)) in stream \(envelope.streamId): this node's version does not read it")
        }
        return known
    }
}

/// An event of the log this node cannot read, and why: what projections park it with.
public struct UnreadableEvent: Error, Sendable, CustomStringConvertible {
    public let recorded: RecordedEvent
    public let reason: String

    init(_ recorded: RecordedEvent, _ reason: String) {
        self.recorded = recorded
        self.reason = reason
    }

    public var description: String { reason }
}

extension Collection<ProjectedEvent> {
    /// The ids of the cases and investigation requests whose first event (stream version 1)
    /// is among these: no projection can hold rows for them yet, so a batch need not look
    /// any up. (Stream versions are gapless and in log order; a request names its case only
    /// after the case's first event.)
    var openedRecords: Set<String> {
        var opened: Set<String> = []
        for event in self where event.envelope.streamVersion == 1 {
            switch event.domain {
            case .caseEvent(let caseID, _)?: opened.insert(caseID)
            case .investigation(let id, _)?: opened.insert(id)
            default: break
            }
        }
        return opened
    }
}

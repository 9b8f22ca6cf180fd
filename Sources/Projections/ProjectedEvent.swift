import CaseDomain
import EventLog

/// An event as projections receive it: what the log recorded and, read once for all of
/// them, the domain event it carries.
public struct ProjectedEvent: Sendable {
    /// The domain event of a case, investigation or certificate stream, with the stream's id.
    public enum Domain: Sendable {
        case caseEvent(caseID: String, CaseEvent)
        case investigation(id: String, Investigation.Event)
        case certificate(id: String, HardshipCertificate.Event)
    }

    public let recorded: RecordedEvent
    /// `nil` for a stream kind or event type no projection reads (numbering registers, say).
    public let domain: Domain?

    public var envelope: EventEnvelope { recorded.envelope }

    /// Reads the domain event; a known type with a malformed body is an error, never skipped.
    public init(_ recorded: RecordedEvent) throws {
        self.recorded = recorded
        let envelope = recorded.envelope
        let stream = envelope.streamId
        if stream.hasPrefix("case-") {
            domain = try CaseEvent(type: envelope.type, body: envelope.body).map { .caseEvent(caseID: String(stream.dropFirst(5)), $0) }
        } else if stream.hasPrefix("investigation-") {
            domain = try Investigation.Event(type: envelope.type, body: envelope.body).map { .investigation(id: String(stream.dropFirst(14)), $0) }
        } else if stream.hasPrefix("certificate-") {
            domain = try HardshipCertificate.Event(type: envelope.type, body: envelope.body).map { .certificate(id: String(stream.dropFirst(12)), $0) }
        } else {
            domain = nil
        }
    }
}

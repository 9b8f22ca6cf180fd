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

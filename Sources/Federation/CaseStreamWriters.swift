import CaseDomain
import EventLog

/// Who may write each of tongban's streams (invariant 5), for imports from other nodes.
///
/// A case, an investigation request or a certificate is written by one node at a time,
/// and which one follows from the stream's accepted events: the owner's node, the target's
/// while a transfer is pending, the requested centre's until it reports (see the
/// `writingNode` of each state). A stream's first event comes from the node of the centre
/// that creates it; a centre's numbering register, lawyer roster and delivery receipts only from that centre's node. Every
/// event's acting centre must be one its origin node serves.
///
/// When two nodes both answer one in-flight transfer, the answer of the node the stream's
/// state names wins on every node, whichever arrives first; the other is quarantined
/// everywhere. A node's own stream (`node-<id>`, its key changes) is that node's alone.
/// Streams of other kinds are not judged.
public struct CaseStreamWriters: StreamWriterRules {
    public enum StreamState: Sendable, Hashable {
        case caseFile(CaseState)
        case investigation(Investigation.State)
        case certificate(HardshipCertificate.State)
        case register(CentreID)
        case unjudged
    }

    public init() {}

    public func initialState(of stream: String) -> StreamState {
        switch StreamID.kind(of: stream)?.kind {
        case .caseFile?: return .caseFile(CaseState())
        case .investigation?: return .investigation(Investigation.State())
        case .certificate?: return .certificate(HardshipCertificate.State())
        case .register?: return Numbering.centre(ofRegister: stream).map(StreamState.register) ?? .unjudged
        case .roster?: return StreamID(stream).flatMap { if case .roster(let centre) = $0 { .register(centre) } else { nil } } ?? .unjudged
        case .delivery?: return StreamID(stream).flatMap { if case .delivery(let centre, _) = $0 { .register(centre) } else { nil } } ?? .unjudged
        case nil: return .unjudged
        }
    }

    public func state(_ state: StreamState, after event: EventEnvelope) throws(StreamWriterRefusal) -> StreamState {
        let origin = event.originNode
        // An imported stream id is parsed once, here: a known kind must name its record as
        // every node's workflow does (a lowercase UUID, a register of a real centre).
        if StreamID.kind(of: event.streamId) != nil, StreamID(event.streamId) == nil {
            throw StreamWriterRefusal("'\(event.streamId)' is not a stream id any node's workflow writes")
        }
        // A node's own stream (its key changes) is written by that node alone.
        if event.streamId.hasPrefix("node-"), event.streamId != NodeKeyChange.stream(of: origin) {
            throw StreamWriterRefusal("only the node it names writes \(event.streamId)")
        }
        if let centre = event.actor.centre, centre.node != origin {
            throw StreamWriterRefusal("its actor's centre \(centre) is not one of \(origin)'s")
        }
        func requireWriter(_ writer: NodeID?, _ what: String) throws(StreamWriterRefusal) {
            guard let writer = writer ?? event.actor.centre?.node else {
                throw StreamWriterRefusal("the first event of \(what) must name the centre that creates it")
            }
            guard writer == origin else {
                throw StreamWriterRefusal("only \(writer) may write the next event of this \(what)")
            }
        }
        // Read as every node reads it: personal data stays sealed (the writer does not depend on it).
        func read<Event: DomainEvent>(_: Event.Type) throws(StreamWriterRefusal) -> Event? {
            do { return try Event.read(type: event.type, schemaVersion: event.schemaVersion, body: event.body, record: nil)?.event } catch {
                throw StreamWriterRefusal("its body cannot be read as \(event.type): \(error)")
            }
        }
        switch state {
        case .caseFile(let caseState):
            try requireWriter(caseState.writingNode, "case")
            guard let domainEvent = try read(CaseEvent.self) else { return state }
            return .caseFile(CaseLifecycle.evolve(caseState, domainEvent))
        case .investigation(let request):
            try requireWriter(request.writingNode, "investigation request")
            guard let domainEvent = try read(Investigation.Event.self) else { return state }
            return .investigation(Investigation.evolve(request, domainEvent))
        case .certificate(let certificate):
            try requireWriter(certificate.writingNode, "certificate")
            guard let domainEvent = try read(HardshipCertificate.Event.self) else { return state }
            return .certificate(HardshipCertificate.evolve(certificate, domainEvent))
        case .register(let centre):
            try requireWriter(centre.node, "register of \(centre) (its numbers, roster or receipts)")
            return state
        case .unjudged:
            return state
        }
    }
}

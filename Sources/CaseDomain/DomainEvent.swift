/// An event of one of the stream kinds (case, investigation, certificate): named by its
/// envelope type, carried as a JSON body, read back by both.
public protocol DomainEvent: Sendable, Hashable {
    /// The envelope's `type`.
    var type: String { get }
    /// The envelope's `body`.
    func body() throws -> JSONValue
    /// Reads an event back; `nil` for a type this version does not know.
    init?(type: String, body: JSONValue) throws
}

extension CaseEvent: DomainEvent {}
extension Investigation.Event: DomainEvent {}
extension HardshipCertificate.Event: DomainEvent {}

extension DomainEvent {
    /// Reads a stored event into the domain: a schema version 1 body as written, a version
    /// 2 body with what `keys` open put back and placeholders for the rest (``SealedBody``).
    /// `record` is the case (or certificate) the event's personal data belongs to. `nil` for
    /// a type or schema version this code does not read.
    public static func read(type: String, schemaVersion: Int, body: JSONValue, record: String?,
                            keys: RecordKeys = .none) throws -> (event: Self, opened: SealedBody.Opened)? {
        guard let opened = SealedBody.open(body, type: type, schemaVersion: schemaVersion, record: record, keys: keys),
              let event = try Self(type: type, body: opened.body) else { return nil }
        return (event, opened)
    }
}

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

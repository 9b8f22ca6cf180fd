import EventLog
import Logging
import PostgresNIO

/// A read model built from the log: it applies events, in global order, to its own
/// tables. The runtime calls ``apply(_:on:logger:)`` with each batch inside the
/// transaction that also stores the checkpoint, with `search_path` set to the schema being
/// built, so the same code fills the live schema and a rebuild.
public protocol Projection: Sendable {
    /// The projection's name in the checkpoints table.
    var name: String { get }
    /// The tables it owns (unqualified), for rebuilds and checksums.
    var tables: [String] { get }
    /// Applies a batch of accepted (not quarantined) events this node can read, in global
    /// order. An error PostgreSQL raises over the rows of one event (a data exception, a
    /// constraint, a size limit) parks that event (invariant 10); any other error
    /// fails the batch, which is rolled back and retried.
    func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws
}

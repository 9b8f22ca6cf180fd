import NIOCore
import PostgresNIO

/// The keys this node holds for some records, its own first: read on every request that
/// shows or seals personal data, so a prepared statement (parsed and planned once per
/// connection).
struct HeldKeys: PostgresPreparedStatement {
    static let sql = """
        SELECT record_id, field, key FROM record_keys WHERE record_id = ANY($1::text[]) ORDER BY record_id, (granted_by = $2) DESC, received_at
        """
    typealias Row = (String, String, ByteBuffer)
    let records: [String]
    let node: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(records)
        bindings.append(node)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Whether a record was erased on this node (a row, or none).
struct ErasedRecord: PostgresPreparedStatement {
    static let sql = "SELECT 1 FROM erased_records WHERE record_id = $1"
    typealias Row = Int32
    let record: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(record)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int32.self) }
}

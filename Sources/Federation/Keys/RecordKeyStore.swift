import CaseDomain
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The record keys this node holds (table `record_keys`): made when this node opens a
/// record, received in grants from the nodes that involve it, destroyed on erasure. Node
/// state beside the log, never in it.
public struct RecordKeyStore: Sendable {
    let client: PostgresClient
    /// This node: the maker of the keys it creates.
    public let node: NodeID
    let logger: Logger

    public init(client: PostgresClient, node: NodeID, logger: Logger = Logger(label: "tongban.keys")) {
        self.client = client
        self.node = node
        self.logger = logger
    }

    /// A new record key for `record`, stored before any event is sealed with it (a key
    /// whose events never commit is harmless; an event whose key was lost is not).
    public func create(for record: String) async throws -> RecordKeys {
        let key = RecordKeys.generatedKey()
        _ = try await client.query("""
            INSERT INTO record_keys (record_id, field, granted_by, key) VALUES (\(record), '*', \(node.rawValue), \(ByteBuffer(bytes: RecordKeys.bytes(key))))
            """, logger: logger)
        return RecordKeys(recordKey: key)
    }

    /// Every key this node holds for `record` (``RecordKeys/none`` when it holds none).
    public func keys(for record: String) async throws -> RecordKeys {
        try await keys(for: [record])[record] ?? .none
    }

    /// The keys of several records at once.
    public func keys(for records: [String]) async throws -> [String: RecordKeys] {
        guard !records.isEmpty else { return [:] }
        var keys: [String: RecordKeys] = [:]
        for (record, field, bytes) in try await client.rows(of: HeldKeys(records: records, node: node.rawValue), logger: logger) {
            let key = SymmetricKey(data: Array(bytes.readableBytesView))
            if field == "*" {
                keys[record, default: .none].add(recordKey: key)
            } else if let field = PersonalField(rawValue: field) {
                keys[record, default: .none].add(key, for: field)
            }
        }
        return keys
    }

    /// Stores the keys `sender` granted for `record`; `false` (nothing stored) when the
    /// record was erased here.
    @discardableResult
    public func store(_ granted: GrantedKeys, record: String, from sender: NodeID) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            // Serialised with an erasure of the same record (``KeyCustodian``): a key never outlives it.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(record)))", logger: logger)
            let erased = try await connection.query("SELECT 1 FROM erased_records WHERE record_id = \(record)", logger: logger)
            for try await _ in erased { return false }
            for (field, key) in granted.entries {
                try await connection.query("""
                    INSERT INTO record_keys (record_id, field, granted_by, key) VALUES (\(record), \(field), \(sender.rawValue), \(ByteBuffer(bytes: RecordKeys.bytes(key))))
                    ON CONFLICT (record_id, field, granted_by) DO NOTHING
                    """, logger: logger)
            }
            return true
        }
    }
}

extension RecordKeyStore {
    /// Whether `sender` involved this node in `record`: this node's log holds, from
    /// `sender`, a transfer of the case to one of this node's centres or an investigation
    /// request of the case to one. Only such a node may grant this node the case's keys (a
    /// grant from any other could plant a key of its choosing).
    public func involves(_ sender: NodeID, in record: String) async throws -> Bool {
        let caseStream = StreamID.stream(.caseFile, id: record)
        let centres = "\(node.rawValue)-%"
        let rows = try await client.query("""
            SELECT 1 FROM events
             WHERE quarantine_reason IS NULL AND origin_node = \(sender.rawValue)
               AND ((stream_id = \(caseStream) AND type = 'TransferRequested'
                     AND convert_from(envelope, 'UTF8')::jsonb #>> '{body,toCentre}' LIKE \(centres))
                 OR (type = 'InvestigationRequested' AND convert_from(envelope, 'UTF8')::jsonb #>> '{body,caseStream}' = \(caseStream)
                     AND convert_from(envelope, 'UTF8')::jsonb #>> '{body,toCentre}' LIKE \(centres)))
             LIMIT 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Whether `record` was erased on this node.
    public func isErased(_ record: String) async throws -> Bool {
        !(try await client.rows(of: ErasedRecord(record: record), logger: logger)).isEmpty
    }
}

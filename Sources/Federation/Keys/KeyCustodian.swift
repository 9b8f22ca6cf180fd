import CaseDomain
import Crypto
import EventLog
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps this node's side of the record keys: follows the log from its own checkpoint
/// (table `key_custodian`) and, in one transaction with the checkpoint,
/// - owes a grant when an event of this node involves another: a transfer to one of its
///   centres (the record key), an investigation request (its own field and what it
///   shares), and owes every auditor of the federation file every key this node makes;
/// - carries out an erasure from any node: destroys this node's keys of the case, drops
///   the sealed copies it still owed, removes the case's scans, and refuses later grants.
///
/// Owed grants are delivered by ``KeyGrantDelivery``. Nothing here is a projection: keys
/// are node state, not a function of the log, so replay neither needs nor repeats it.
public struct KeyCustodian: Sendable {
    let client: PostgresClient
    let node: NodeID
    let federation: FederationFile
    let logger: Logger
    let batchSize = 500

    public init(client: PostgresClient, node: NodeID, federation: FederationFile, logger: Logger) {
        self.client = client
        self.node = node
        self.federation = federation
        self.logger = logger
    }

    /// Handles every event after the checkpoint; the number handled.
    @discardableResult
    public func catchUp() async throws -> Int {
        var handled = 0
        while true {
            let count = try await client.withTransaction(logger: logger) { connection in
                try await handleBatch(on: connection)
            }
            handled += count
            if count < batchSize { return handled }
        }
    }

    private func handleBatch(on connection: PostgresConnection) async throws -> Int {
        var position: Int64 = 0
        for try await stored in try await connection.query("SELECT position FROM key_custodian FOR UPDATE", logger: logger).decode(Int64.self) {
            position = stored
        }
        let rows = try await connection.query("""
            SELECT envelope, hash, signature, global_position, received_at, quarantine_reason FROM events
             WHERE global_position > \(position) ORDER BY global_position LIMIT \(batchSize)
            """, logger: logger)
        let events = try await EventReader.decode(rows)
        for event in events where event.quarantineReason == nil {
            try await handle(event, on: connection)
        }
        if let last = events.last {
            try await connection.query("UPDATE key_custodian SET position = \(last.globalPosition)", logger: logger)
        }
        return events.count
    }

    private func handle(_ event: RecordedEvent, on connection: PostgresConnection) async throws {
        let envelope = event.envelope
        guard let (kind, id) = StreamID.kind(of: envelope.streamId) else { return }
        let ownEvent = envelope.originNode == node
        switch (kind, envelope.type) {
        case (.caseFile, "ApplicationSubmitted") where ownEvent, (.certificate, "CertificateIssued") where ownEvent:
            for auditor in federation.auditors {
                try await owe(record: id, fields: nil, to: "auditor:\(auditor.id)", key: FederationFile.encryptionKey(auditor.encryptionKey),
                              cause: envelope.eventId, on: connection)
            }
        case (.caseFile, "TransferRequested") where ownEvent:
            guard let target = envelope.body["toCentre"]?.stringValue.flatMap(CentreID.init(rawValue:))?.node, target != node else { return }
            try await owe(record: id, fields: nil, to: target.rawValue, key: federation.encryptionKeys[target], cause: envelope.eventId, on: connection)
        case (.investigation, "InvestigationRequested") where ownEvent:
            guard let target = envelope.body["toCentre"]?.stringValue.flatMap(CentreID.init(rawValue:))?.node, target != node,
                  let caseID = envelope.body["caseStream"]?.stringValue.flatMap(StreamID.caseID(ofStream:)) else { return }
            let shared = (envelope.body["shares"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(PersonalField.init(rawValue:)) }
            try await owe(record: caseID, fields: [.investigation] + shared.filter(PersonalField.shareable.contains),
                          to: target.rawValue, key: federation.encryptionKeys[target], cause: envelope.eventId, on: connection)
        case (.caseFile, "CaseErased"):
            try await erase(case: id, cause: envelope.eventId, on: connection)
        default:
            return
        }
    }

    /// Records a grant owed to `recipient`: the record key (`fields` nil) or some field
    /// keys, sealed now for its public key. Without this node's record key, or the
    /// recipient's public key, the grant is recorded with the reason and nothing sealed.
    private func owe(record: String, fields: [PersonalField]?, to recipient: String, key: Curve25519.KeyAgreement.PublicKey?,
                     cause: UUID, on connection: PostgresConnection) async throws {
        let names = fields.map { Set($0).map(\.rawValue).sorted() } ?? ["*"]
        var sealed: ByteBuffer?
        var problem: String?
        let keys = try await recordKey(record, on: connection)
        if let key, let recordKey = keys {
            let granted = fields.map { GrantedKeys(fields: $0, of: recordKey) } ?? GrantedKeys(recordKey: recordKey)
            do {
                let grant = try KeyGrant.seal(granted, record: record, from: node, to: recipient, recipientKey: key)
                sealed = ByteBuffer(data: try JSONEncoder().encode(grant))
            } catch {
                // One grant that cannot be sealed (a degenerate public key) never stops the custodian.
                problem = "cannot seal for \(recipient): \(error)"
            }
        } else {
            problem = key == nil ? "\(recipient) has no encryptionKey in the federation file" : "this node holds no record key of \(record)"
            logger.warning("key grant not sealed", metadata: ["record": "\(record)", "recipient": "\(recipient)", "reason": "\(problem ?? "")"])
        }
        try await connection.query("""
            INSERT INTO key_grants (record_id, recipient, fields, cause_event, sealed, last_error)
            VALUES (\(record), \(recipient), \(names), \(cause), \(sealed), \(problem))
            ON CONFLICT (cause_event, recipient) DO NOTHING
            """, logger: logger)
    }

    private func recordKey(_ record: String, on connection: PostgresConnection) async throws -> SymmetricKey? {
        let rows = try await connection.query("""
            SELECT key FROM record_keys WHERE record_id = \(record) AND field = '*' ORDER BY (granted_by = \(node.rawValue)) DESC LIMIT 1
            """, logger: logger)
        for try await bytes in rows.decode(ByteBuffer.self) { return SymmetricKey(data: Array(bytes.readableBytesView)) }
        return nil
    }

    /// Destroys what this node holds of an erased case: keys, owed copies, scans (those no
    /// other record refers to).
    private func erase(case caseID: String, cause: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(caseID)))", logger: logger)
        guard try await isErasable(caseID, on: connection) else {
            logger.warning("erasure ignored: the stream is no archived case", metadata: ["record": "\(caseID)"])
            return
        }
        try await connection.query("DELETE FROM record_keys WHERE record_id = \(caseID)", logger: logger)
        try await connection.query("UPDATE key_grants SET sealed = NULL, last_error = 'erased' WHERE record_id = \(caseID) AND sealed IS NOT NULL", logger: logger)
        let (records, scans) = try await documents(of: caseID, on: connection)
        let erased = try await connection.query("""
            INSERT INTO document_erasures (sha256, record_id)
            SELECT d.sha256, \(caseID) FROM documents d
             WHERE d.sha256 = ANY(\(scans))
               AND NOT EXISTS (SELECT 1 FROM projections.record_documents r WHERE r.sha256 = d.sha256 AND r.record_id <> ALL(\(records)))
            ON CONFLICT (sha256) DO NOTHING RETURNING sha256
            """, logger: logger)
        var count = 0
        for try await _ in erased.decode(String.self) { count += 1 }
        try await connection.query("DELETE FROM documents WHERE sha256 IN (SELECT sha256 FROM document_erasures WHERE record_id = \(caseID))", logger: logger)
        try await connection.query("""
            INSERT INTO erased_records (record_id, erasure_event, documents) VALUES (\(caseID), \(cause), \(count))
            ON CONFLICT (record_id) DO NOTHING
            """, logger: logger)
    }

    /// Whether `caseID` names a case archived before its erasure and no certificate (ids of
    /// both kinds are UUIDs: a stream `case-<certificate id>` a hostile node started must
    /// not destroy a certificate's keys).
    private func isErasable(_ caseID: String, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = \(StreamID.stream(.caseFile, id: caseID)) AND type = 'CaseArchived' AND quarantine_reason IS NULL)
               AND NOT EXISTS (SELECT 1 FROM events WHERE stream_id = \(StreamID.stream(.certificate, id: caseID)))
            """, logger: logger)
        for try await erasable in rows.decode(Bool.self) { return erasable }
        return false
    }

    /// The ids of the case and its investigations, and the fingerprints of every scan their
    /// events name, read from the log itself (the projections may lag behind this service).
    private func documents(of caseID: String, on connection: PostgresConnection) async throws -> (records: [String], scans: [String]) {
        let caseStream = StreamID.stream(.caseFile, id: caseID)
        let rows = try await connection.query("""
            SELECT envelope, hash, signature, global_position, received_at, quarantine_reason FROM events
             WHERE quarantine_reason IS NULL AND (stream_id = \(caseStream) OR stream_id IN (
                   SELECT stream_id FROM events WHERE type = 'InvestigationRequested'
                      AND convert_from(envelope, 'UTF8')::jsonb #>> '{body,caseStream}' = \(caseStream)))
            """, logger: logger)
        var records: Set<String> = [caseID], scans: Set<String> = []
        for event in try await EventReader.decode(rows) {
            if let (_, id) = StreamID.kind(of: event.envelope.streamId) { records.insert(id) }
            for document in event.envelope.body["documents"]?.arrayValue ?? [] {
                if let sha256 = document["sha256"]?.stringValue, DocumentStore.isFingerprint(sha256) { scans.insert(sha256) }
            }
        }
        return (records.sorted(), scans.sorted())
    }
}

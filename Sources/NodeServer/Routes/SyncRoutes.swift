import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
import Logging
import Projections

/// `/v1/sync`: what nodes ask of each other, node-signed. `pull` answers a version vector
/// with the events the caller lacks; `notify` makes this node pull at once; `status` shows
/// the vector, the peers and the quarantine.
struct SyncRoutes {
    let reader: EventReader
    let worker: SyncWorker?
    let documents: DocumentStore
    /// Which records declare a scan, and who takes part in them.
    let references: DocumentReferences
    let keys: RecordKeyStore
    let encryptionKey: NodeEncryptionKey
    /// The checkpoints told to the nodes that pull (on the last page of a round).
    let checkpoints: CheckpointStore
    /// The checkpoints told, read at most once a second for all the pulls.
    let gossipCache = GossipCache()
    let maximumBatch = 5000

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.post("pull") { request, context in
            let pull = try await request.decodeJSON(as: SyncMessages.PullRequest.self, context: context)
            let vector: [NodeID: Int64]
            do { vector = try pull.nodeVector() } catch { throw Problem.invalid("vector", "\(error)") }
            guard (1...maximumBatch).contains(pull.limit) else { throw Problem.invalid("limit", "from 1 to \(maximumBatch)") }
            let events = try await reader.events(missingFrom: vector, limit: pull.limit + 1)
            let page = Self.page(of: events, limit: pull.limit)
            let more = events.count > page.count
            let response = SyncMessages.PullResponse(events: page.map { SyncMessages.WireEvent($0.signed) }, more: more,
                                                     vector: try await reader.versionVector(),
                                                     checkpoints: more ? [] : await gossip(logger: context.logger))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try response.encoded())))
        }
        group.post("notify") { _, context in
            await worker?.wake(from: context.peer)
            return JSONResponse(["status": "pulling"])
        }
        group.get("documents/{sha256}") { _, context in
            let sha256 = try context.parameters.require("sha256")
            // A scan goes only to a node one of whose centres takes part in a record that declares it.
            let referrers: [DocumentReferences.Referrer]
            do {
                referrers = DocumentStore.isFingerprint(sha256) ? try await references.referrers(of: sha256) : []
            } catch let behind as ProjectionBehind {
                throw Problem(.unavailable, behind.description)
            }
            guard let peer = context.peer, referrers.contains(where: { $0.participants.contains { $0.node == peer } }),
                  let document = try await documents.fetch(sha256: sha256) else {
                throw Problem(.notFound, "this node holds no document \(sha256) for \(context.peer?.rawValue ?? "this caller")")
            }
            return Response(status: .ok, headers: [.contentType: document.mediaType], body: .init(byteBuffer: document.content))
        }
        group.post("key-grants") { request, context in
            guard let peer = context.peer else { throw Problem(.unauthorized, "key grants come from nodes only") }
            let message = try await request.decodeJSON(as: KeyGrantMessage.self, context: context)
            guard message.grants.count <= KeyGrantMessage.maximumGrants else {
                throw Problem.invalid("grants", "at most \(KeyGrantMessage.maximumGrants) grants in one request")
            }
            var stored = 0
            var refused: [JSONValue] = []
            for grant in message.grants {
                guard StreamID.isRecordID(grant.recordId), try await keys.involves(peer, in: grant.recordId) else {
                    // Refused, not stored: the sender keeps it and tries again once its event has arrived here.
                    refused.append(["recordId": .string(String(grant.recordId.prefix(64))),
                                    "reason": .string("\(peer) has not involved this node in the record (yet)")])
                    continue
                }
                do {
                    if try await keys.store(try grant.open(with: encryptionKey, from: peer), record: grant.recordId, from: peer) {
                        stored += 1
                    } else {
                        refused.append(["recordId": .string(grant.recordId), "reason": "the record was erased on this node"])
                    }
                } catch let refusal as KeyGrant.Refusal {
                    refused.append(["recordId": .string(String(grant.recordId.prefix(64))), "reason": .string(refusal.reason)])
                }
            }
            // A grant ahead of its event: pull now, so that the sender's next try is accepted.
            if !refused.isEmpty { await worker?.wake() }
            return JSONResponse(JSONValue.object(["stored": .integer(Int64(stored)), "refused": .array(refused)]))
        }
        group.get("status") { _, _ in
            try await status()
        }
    }

    /// The checkpoints to tell a peer; none when they cannot be read now (the events still go).
    private func gossip(logger: Logger) async -> [SignedCheckpoint] {
        do { return try await gossipCache.checkpoints(of: checkpoints) } catch {
            logger.warning("checkpoints left out of a pull answer", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// The first events, at most `limit` and ``SyncMessages/maximumPageBytes`` of envelopes
    /// (at least one event).
    static func page(of events: [RecordedEvent], limit: Int) -> ArraySlice<RecordedEvent> {
        var bytes = 0
        var count = 0
        for event in events.prefix(limit) {
            bytes += event.signed.canonicalBytes.count
            guard count == 0 || bytes <= SyncMessages.maximumPageBytes else { break }
            count += 1
        }
        return events.prefix(count)
    }

    private func status() async throws -> JSONResponse<SyncStatus> {
        let vector = try await reader.versionVector()
        return JSONResponse(SyncStatus(
            vector: Dictionary(uniqueKeysWithValues: vector.map { ($0.key.rawValue, $0.value) }),
            peers: await worker?.peerStatus ?? [],
            quarantined: try await reader.quarantineCount()))
    }

    struct SyncStatus: Encodable, Sendable {
        var vector: [String: Int64]
        var peers: [SyncWorker.PeerStatus]
        var quarantined: Int64
    }
}

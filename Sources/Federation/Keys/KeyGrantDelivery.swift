import CaseDomain
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import PostgresNIO
import ServiceLifecycle

/// What a node sends a peer the keys of records that came to involve it in:
/// `POST /v1/sync/key-grants`.
public struct KeyGrantMessage: Sendable, Codable {
    public var grants: [KeyGrant]
    /// The most grants one request carries.
    public static let maximumGrants = 100

    public init(grants: [KeyGrant]) { self.grants = grants }
}

/// Delivers the grants ``KeyCustodian`` recorded as owed, to each recipient node in turn,
/// oldest first, directly (a recipient need not be a sync peer: a grant is for one node);
/// a delivered grant keeps no sealed copy. A node that is down is tried again on the next
/// round (its error kept with the grant). A round costs a query and a request per node
/// owed something, not per node of the federation.
public struct KeyGrantDelivery: Sendable {
    let client: PostgresClient
    let peers: PeerClient
    let logger: Logger

    /// Delivers over `client`'s `key_grants` to `peers`, signed as this node.
    public init(client: PostgresClient, peers: PeerClient, logger: Logger) {
        self.client = client
        self.peers = peers
        self.logger = logger
    }

    /// Delivers what is owed now; the number of grants delivered.
    @discardableResult
    public func deliver() async -> Int {
        var delivered = 0
        for peer in (try? await recipients()) ?? [] {
            delivered += (try? await deliver(to: peer)) ?? 0
        }
        return delivered
    }

    /// The nodes of the federation owed a grant, by id.
    private func recipients() async throws -> [PeerClient.Peer] {
        let rows = try await client.query("""
            SELECT DISTINCT recipient FROM key_grants WHERE delivered_at IS NULL AND sealed IS NOT NULL ORDER BY recipient
            """, logger: logger)
        var recipients: [PeerClient.Peer] = []
        for try await recipient in rows.decode(String.self) {
            if let id = NodeID(rawValue: recipient), let peer = peers.nodes[id] { recipients.append(peer) }
        }
        return recipients
    }

    /// The grants still owed to other nodes of the federation.
    public func owed() async throws -> Int {
        let rows = try await client.query("""
            SELECT count(*)::int FROM key_grants WHERE delivered_at IS NULL AND sealed IS NOT NULL AND recipient = ANY(\(peers.nodes.keys.map(\.rawValue)))
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    private func deliver(to peer: PeerClient.Peer) async throws -> Int {
        var delivered = 0
        while true {
            let rows = try await client.query("""
                SELECT grant_id, sealed FROM key_grants WHERE recipient = \(peer.id.rawValue) AND delivered_at IS NULL AND sealed IS NOT NULL
                 ORDER BY grant_id LIMIT \(KeyGrantMessage.maximumGrants)
                """, logger: logger)
            var ids: [Int64] = [], grants: [KeyGrant] = []
            for try await (id, sealed) in rows.decode((Int64, ByteBuffer).self) {
                guard let grant = try? JSONDecoder().decode(KeyGrant.self, from: sealed) else { continue }
                ids.append(id)
                grants.append(grant)
            }
            guard !grants.isEmpty else { return delivered }
            let body = try JSONEncoder().encode(KeyGrantMessage(grants: grants))
            var refused: [String: String] = [:]
            do {
                let answer = try await peers.send("POST", "/v1/sync/key-grants", to: peer, body: body, limit: 64 * 1024)
                guard answer.status == 200 else { throw DeliveryError(status: answer.status) }
                refused = Self.refusals(in: answer.body)
            } catch {
                try await client.query("""
                    UPDATE key_grants SET attempts = attempts + 1, last_error = \(String(describing: error).prefix(500).description) WHERE grant_id = ANY(\(ids))
                    """, logger: logger)
                throw error
            }
            let kept = zip(ids, grants).filter { refused[$0.1.recordId] != nil }
            for (id, grant) in kept {
                try await client.query("""
                    UPDATE key_grants SET attempts = attempts + 1, last_error = \(refused[grant.recordId] ?? "") WHERE grant_id = \(id)
                    """, logger: logger)
            }
            let done = zip(ids, grants).filter { refused[$0.1.recordId] == nil }.map(\.0)
            try await client.query("UPDATE key_grants SET delivered_at = now(), sealed = NULL, last_error = NULL WHERE grant_id = ANY(\(done))", logger: logger)
            delivered += done.count
            // What the peer refused stays owed (its event may not have reached it yet): next round.
            if !kept.isEmpty { return delivered }
        }
    }

    /// The grants a peer's answer refused, by record, with its reason.
    static func refusals(in body: ByteBuffer) -> [String: String] {
        guard case .array(let refused)? = (try? CanonicalJSON.decode(Array(body.readableBytesView)))?["refused"] else { return [:] }
        var reasons: [String: String] = [:]
        for entry in refused {
            if let record = entry["recordId"]?.stringValue { reasons[record] = entry["reason"]?.stringValue ?? "refused" }
        }
        return reasons
    }

    struct DeliveryError: Error, CustomStringConvertible {
        let status: UInt
        var description: String { "the peer answered \(status)" }
    }
}

/// The custodian and the delivery on a timer, as one of the node's services.
public struct KeyCustodianService: Service {
    let custodian: KeyCustodian
    let delivery: KeyGrantDelivery
    let interval: Duration
    let logger: Logger

    /// Runs `custodian` and `delivery` every `interval` until the node shuts down.
    public init(custodian: KeyCustodian, delivery: KeyGrantDelivery, interval: Duration, logger: Logger) {
        self.custodian = custodian
        self.delivery = delivery
        self.interval = interval
        self.logger = logger
    }

    /// Catches up and delivers, then waits; an error is logged and retried next round.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await custodian.catchUp()
                } catch {
                    logger.error("key custodian failed; retrying", metadata: ["error": "\(error)"])
                }
                await delivery.deliver()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

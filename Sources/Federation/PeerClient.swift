import AsyncHTTPClient
import CaseDomain
import EventLog
import Foundation
import NIOCore

/// Node-signed HTTP requests to the federation's peers.
public struct PeerClient: Sendable {
    /// A peer node and where it listens.
    public struct Peer: Sendable, Hashable {
        public var id: NodeID
        public var url: String
    }

    public let key: NodeSigningKey
    /// The nodes this one syncs with (``FederationFile/syncPeers(of:)``).
    public let peers: [Peer]
    /// Every other node of the federation, by id: where a message meant for one node (a key
    /// grant, a scan) goes directly, whether or not it is a sync peer.
    public let nodes: [NodeID: Peer]
    /// The federation's TLS: peers are reached over https and verified against its CA
    /// alone; without it, over plain http (a federation on loopback).
    public let tls: FederationTLS?

    public init(federation: FederationFile, key: NodeSigningKey, tls: FederationTLS? = nil) {
        self.key = key
        let others = federation.nodes.filter { $0.id != key.node }.map { Peer(id: $0.id, url: $0.url) }
        let nodes = Dictionary(others.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.nodes = nodes
        self.peers = federation.syncPeers(of: key.node).compactMap { nodes[$0] }
        self.tls = tls
    }

    /// The most a peer's answer may hold: a pull page (bounded in bytes by the serving
    /// node, ``SyncMessages/maximumPageBytes``) or a scan, with room to spare.
    public static let maximumAnswerBytes = 40 * 1024 * 1024

    /// The client peers are reached with: redirects are never followed (a node answers
    /// for itself, at the URL the federation file gives), connections time out.
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30))))

    /// Sends a request signed by this node to `peer`; the status, content type and body of
    /// the answer (at most `limit` bytes, or the request fails).
    public func send(_ method: String, _ path: String, to peer: Peer, body: Data = Data(), timeout: TimeAmount = .seconds(10),
                     limit: Int = Self.maximumAnswerBytes) async throws -> (status: UInt, contentType: String?, body: ByteBuffer) {
        let scheme = tls == nil ? "http" : "https"
        guard URLComponents(string: peer.url)?.scheme?.lowercased() == scheme else { throw PeerTransportError(peer: peer, scheme: scheme) }
        var request = HTTPClientRequest(url: peer.url + path)
        request.tlsConfiguration = tls?.clientConfiguration
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        let now = Timestamp(Date()).millisecondsSinceEpoch
        for (name, value) in try NodeRequestSignature.headers(method: method, path: path, body: body, key: key, to: peer.id, at: now) {
            request.headers.add(name: name, value: value)
        }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(data: body)) }
        let response = try await Self.http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: limit)
        return (response.status.code, response.headers.first(name: "Content-Type"), bytes)
    }

    /// A scan this node lacks, fetched from the first node that has it and stored after its
    /// bytes were checked against the fingerprint; `nil` if none has it. `holders` are
    /// asked first: the other nodes taking part in a record that declares the scan (a node
    /// serves a scan only to those, and they fetch it first); then this node's sync peers;
    /// then, with `everyNode`, the rest of the federation — the uploader's node may take no
    /// part in the record, so a read that finds nothing nearer asks every node, once.
    public func fetchDocument(sha256: String, from holders: Set<NodeID>, everyNode: Bool, into store: DocumentStore) async -> DocumentStore.Document? {
        guard DocumentStore.isFingerprint(sha256) else { return nil }
        let first = holders.sorted { $0.rawValue < $1.rawValue }.compactMap { nodes[$0] }
        let near = first + peers.filter { !holders.contains($0.id) }
        let asked = everyNode ? near + nodes.values.filter { peer in !near.contains(peer) }.sorted { $0.id.rawValue < $1.id.rawValue } : near
        for peer in asked {
            guard let answer = try? await send("GET", "/v1/sync/documents/\(sha256)", to: peer), answer.status == 200 else { continue }
            let mediaType = answer.contentType ?? "application/octet-stream"
            guard (try? await store.store(sha256: sha256, mediaType: mediaType, content: answer.body)) != nil else { continue }
            return DocumentStore.Document(sha256: sha256, mediaType: mediaType, content: answer.body)
        }
        return nil
    }
}

/// A peer whose URL does not use the federation's transport: with the federation's CA every
/// peer is reached over https (never plain http), without it over http (never an https
/// certificate that nothing verifies against the federation's CA).
public struct PeerTransportError: Error, CustomStringConvertible {
    public let peer: PeerClient.Peer
    public let scheme: String

    public var description: String {
        "\(peer.id) is at \(peer.url), not an \(scheme):// URL: "
            + (scheme == "https" ? "this node reaches its peers over TLS only" : "this node has no --tls-ca to verify it against")
    }
}

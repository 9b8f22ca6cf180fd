import CaseDomain
import EventLog
import Foundation

/// The acceptance a node (of any implementation) must pass before it joins a federation:
/// the sync contract driven against it over HTTP by a member of the federation — signed
/// requests required and replay refused, version-vector semantics, bounded pages in origin
/// order, relaying of third origins, events and checkpoints that verify
/// (``ConformanceCheck``). The peer is trusted for nothing: every answer is bounded
/// (``PeerClient/maximumAnswerBytes``) and a malformed one fails the check that asked.
public struct ConformanceSuite: Sendable {
    let peer: ConformancePeer
    let key: NodeSigningKey
    let keyring: OriginKeyring
    let checkpointWait: Duration

    /// The suite against the node of `federation` listening at `peerURL`, signing as `key`'s
    /// node (a member whose key the operator holds); over https verified against `tls` when
    /// given. `checkpointWait` is how long a peer with events of its own may take to send a
    /// checkpoint of its chain.
    public init(federation: FederationFile, key: NodeSigningKey, peerURL: String, tls: FederationTLS? = nil,
                checkpointWait: Duration = .seconds(12)) throws(ConformanceSetupError) {
        // The key may be one the member's chain changed to since the file was written: the
        // peer's log decides (a key it does not hold fails the signed checks with 401).
        guard federation.nodes.contains(where: { $0.id == key.node }) else { throw .notAMember(key.node) }
        let wanted = Self.normalised(peerURL)
        guard let entry = federation.nodes.first(where: { Self.normalised($0.url) == wanted }) else {
            throw .unknownPeer(url: peerURL, known: federation.nodes.map { "\($0.id) \($0.url)" })
        }
        guard entry.id != key.node else { throw .peerIsSigner(key.node) }
        let scheme = URLComponents(string: entry.url)?.scheme?.lowercased()
        guard scheme == (tls == nil ? "http" : "https") else { throw .transport(url: entry.url, withCA: tls != nil) }
        let client = PeerClient(federation: federation, key: key, tls: tls)
        self.peer = ConformancePeer(client: client, peer: PeerClient.Peer(id: entry.id, url: entry.url))
        self.key = key
        self.keyring = federation.keyring
        self.checkpointWait = checkpointWait
    }

    /// Runs every check, in the order of ``ConformanceCheck``.
    public func run() async -> ConformanceReport {
        var results = await AuthenticationChecks(peer: peer, key: key).run()
        let walk = await FullPull.walk(peer, keyring: keyring)
        results += await VersionVectorChecks(peer: peer, walk: walk).run()
        results += EventChecks(peer: peer, walk: walk).run()
        results.append(await CheckpointChecks(peer: peer, walk: walk, wait: checkpointWait).run())
        return ConformanceReport(results: results)
    }

    /// A URL compared case-insensitively, without trailing slashes.
    static func normalised(_ url: String) -> String {
        var text = url.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// Why the suite cannot start: what in the command line or the federation file is wrong.
public enum ConformanceSetupError: Error, Equatable, CustomStringConvertible {
    case notAMember(NodeID)
    case unknownPeer(url: String, known: [String])
    case peerIsSigner(NodeID)
    case transport(url: String, withCA: Bool)

    public var description: String {
        switch self {
        case .notAMember(let node): "--node \(node) is not a node of the federation file"
        case .unknownPeer(let url, let known):
            "--peer \(url.prefix(200)): no node of the federation file is at this URL (known: \(known.joined(separator: ", ")))"
        case .peerIsSigner(let node): "--peer is \(node) itself: the suite signs as --node, so name another node"
        case .transport(let url, let withCA):
            withCA ? "--peer \(url): with --tls-ca the peer is reached over https only"
                : "--peer \(url) is not an http:// URL (an https peer needs --tls-ca, the federation's CA bundle to verify it against)"
        }
    }
}

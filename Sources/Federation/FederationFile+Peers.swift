import CaseDomain

extension FederationFile {
    /// The nodes `node` syncs with — pulls from and announces to: those its entry lists, and
    /// every node whose entry lists it (the relation is symmetric, so a hub need not name
    /// every city that names it); a node without `peers` is a peer of every other node.
    /// Sorted by id; ids the file does not hold are left out.
    ///
    /// Events relay: a node serves every origin's events it holds, so a write reaches every
    /// node along the peer graph, which ``load(path:requirePublicKeys:)`` refuses unless it
    /// is connected. Messages meant for one node (key grants, scans) go to that node
    /// directly, whether or not it is a sync peer.
    public func syncPeers(of node: NodeID) -> [NodeID] {
        (peerGraph[node] ?? []).sorted { $0.rawValue < $1.rawValue }
    }

    /// Every node's sync peers (``syncPeers(of:)``), by node.
    public var peerGraph: [NodeID: Set<NodeID>] {
        var graph = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, Set<NodeID>()) })
        let ids = nodes.map(\.id)
        for entry in nodes {
            for other in entry.peers ?? ids where other != entry.id && graph[other] != nil {
                graph[entry.id]?.insert(other)
                graph[other]?.insert(entry.id)
            }
        }
        return graph
    }

    /// The file with only `kept`'s nodes, each `peers` list without the nodes left out (a
    /// list left empty is dropped: that node then syncs with all); what `tongban dev
    /// --nodes` runs. Nil when the kept nodes' peers do not connect them.
    public func restricted(to kept: Set<NodeID>) -> FederationFile? {
        var file = self
        file.nodes = nodes.filter { kept.contains($0.id) }
        file.directory = directory.restricted(to: kept)
        for index in file.nodes.indices {
            guard let peers = file.nodes[index].peers else { continue }
            let remaining = peers.filter(kept.contains)
            file.nodes[index].peers = remaining.isEmpty ? nil : remaining
        }
        return file.unreachable(from: file.nodes.first?.id).isEmpty ? file : nil
    }

    /// Checks `nodes[index].peers`: known ids, not the node itself, each once.
    func validatePeers(of index: Int, source: String) throws(FederationFileError) {
        let node = nodes[index]
        guard let peers = node.peers else { return }
        let field = "nodes[\(index)].peers"
        let known = Set(nodes.map(\.id))
        var seen: Set<NodeID> = []
        guard !peers.isEmpty else {
            throw .invalid(source: source, field: field, reason: "is empty: list the nodes '\(node.id)' syncs with, or leave peers out to sync with every node")
        }
        for (peerIndex, peer) in peers.enumerated() {
            guard known.contains(peer) else {
                throw .invalid(source: source, field: "\(field)[\(peerIndex)]", reason: "'\(peer)' is not a node of the federation")
            }
            guard peer != node.id else {
                throw .invalid(source: source, field: "\(field)[\(peerIndex)]", reason: "'\(node.id)' cannot be its own peer")
            }
            guard seen.insert(peer).inserted else {
                throw .invalid(source: source, field: "\(field)[\(peerIndex)]", reason: "'\(peer)' is listed twice")
            }
        }
    }

    /// Refuses a peer graph that leaves a node unreachable: its events would never reach
    /// the others, nor theirs it, and the federation would never converge.
    func validateConnected(source: String) throws(FederationFileError) {
        let unreachable = unreachable(from: nodes.first?.id)
        guard let first = nodes.first, !unreachable.isEmpty else { return }
        let names = unreachable.map(\.rawValue).sorted()
        throw .invalid(source: source, field: "nodes[].peers",
                       reason: "the peer graph is not connected: \(names.joined(separator: ", ")) cannot be reached from '\(first.id)' "
                           + "(nor reach it), so their events would never converge; give them a peer on the other side")
    }

    /// The nodes no chain of peers leads to from `start`.
    private func unreachable(from start: NodeID?) -> [NodeID] {
        guard let start else { return [] }
        let graph = peerGraph
        var reached: Set<NodeID> = [start]
        var frontier = [start]
        while let next = frontier.popLast() {
            for peer in graph[next] ?? [] where reached.insert(peer).inserted { frontier.append(peer) }
        }
        return nodes.map(\.id).filter { !reached.contains($0) }
    }
}

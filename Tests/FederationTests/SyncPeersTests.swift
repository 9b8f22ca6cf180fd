import CaseDomain
import Federation
import Foundation
import Testing

/// `nodes[].peers`: who a node syncs with. Absent, every other node; listed, symmetric in
/// effect; refused when it names an unknown node, the node itself, a node twice, or leaves
/// the federation in pieces that would never converge.
@Suite("Sync peers in the federation file")
struct SyncPeersTests {
    typealias T = FederationFileTests

    /// The example with `peers` (by node id) set on its nodes, and no list on those of `unlisted`.
    static func example(peers: [String: [String]], unlisted: Set<String> = []) throws -> [String: Any] {
        var document = try T.exampleJSON()
        var nodes = document["nodes"] as! [[String: Any]]
        for index in nodes.indices {
            let id = nodes[index]["id"] as! String
            if let list = peers[id] { nodes[index]["peers"] = list }
            if unlisted.contains(id) { nodes[index]["peers"] = nil }
        }
        document["nodes"] = nodes
        return document
    }

    static func id(_ text: String) -> NodeID { NodeID(rawValue: text)! }
    static func ids(_ names: [String]) -> [NodeID] { names.map(id) }

    @Test func theExampleSyncsThroughQingdaoAndYantaiSymmetrically() throws {
        let file = try FederationFile.load(path: T.example, requirePublicKeys: false)
        #expect(file.syncPeers(of: Self.id("qingdao")) == Self.ids(["rizhao", "weifang", "weihai", "yantai"]), "no list: every other node")
        #expect(file.syncPeers(of: Self.id("rizhao")) == Self.ids(["qingdao"]))
        #expect(file.syncPeers(of: Self.id("weihai")) == Self.ids(["qingdao", "yantai"]), "yantai lists weihai, so weihai syncs with yantai too")
        #expect(file.syncPeers(of: Self.id("yantai")) == Self.ids(["qingdao", "weifang", "weihai"]))
    }

    @Test func withoutListsEveryNodeSyncsWithEveryOther() throws {
        let file = try T.decode(Self.example(peers: [:], unlisted: ["weifang", "weihai", "yantai", "rizhao"]))
        for node in file.nodes {
            let others = file.nodes.map(\.id).filter { $0 != node.id }.sorted { $0.rawValue < $1.rawValue }
            #expect(file.syncPeers(of: node.id) == others)
        }
    }

    @Test func aListNamingAnUnknownNodeItselfOrATwiceListedNodeIsRefusedByField() throws {
        // rizhao is nodes[4] in the example.
        let cases: [([String], String, String)] = [
            (["qingdao", "jinan"], "nodes[4].peers[1]", "'jinan' is not a node of the federation"),
            (["rizhao"], "nodes[4].peers[0]", "'rizhao' cannot be its own peer"),
            (["qingdao", "weihai", "qingdao"], "nodes[4].peers[2]", "'qingdao' is listed twice"),
            ([], "nodes[4].peers", "is empty: list the nodes 'rizhao' syncs with, or leave peers out to sync with every node"),
        ]
        for (list, field, reason) in cases {
            #expect(throws: FederationFileError.invalid(source: "test.json", field: field, reason: reason)) {
                try T.decode(Self.example(peers: ["rizhao": list]))
            }
        }
        var document = try Self.example(peers: [:])
        var nodes = document["nodes"] as! [[String: Any]]
        nodes[4]["peers"] = "qingdao"
        document["nodes"] = nodes
        do {
            _ = try T.decode(document)
            Issue.record("a peers value that is not a list was accepted")
        } catch {
            #expect("\(error)".hasPrefix("test.json: nodes[4].peers: expected "), "\(error)")
        }
    }

    /// A node no chain of peers reaches would never converge: the file is refused, naming it.
    @Test func aPeerGraphInPiecesIsRefusedNamingTheNodesCutOff() throws {
        // Qingdao lists rizhao alone; weifang, weihai and yantai list each other only.
        let document = try Self.example(peers: ["qingdao": ["rizhao"], "rizhao": ["qingdao"], "weifang": ["weihai"], "weihai": ["yantai"],
                                                "yantai": ["weifang"]])
        #expect(throws: FederationFileError.invalid(
            source: "test.json", field: "nodes[].peers",
            reason: "the peer graph is not connected: weifang, weihai, yantai cannot be reached from 'qingdao' (nor reach it), "
                + "so their events would never converge; give them a peer on the other side")) {
            try T.decode(document)
        }
        // One list naming a node of the other piece joins them: the relation is symmetric.
        let joined = try T.decode(Self.example(peers: ["qingdao": ["rizhao"], "rizhao": ["qingdao", "weihai"], "weifang": ["weihai"],
                                                       "weihai": ["yantai"], "yantai": ["weifang"]]))
        #expect(joined.syncPeers(of: Self.id("weihai")) == Self.ids(["rizhao", "weifang", "yantai"]))
    }

    /// What `tongban dev --nodes` runs: the picked nodes, their lists without the others,
    /// or nothing when those lists do not connect them.
    @Test func aSubsetKeepsItsPeersWhenTheyStillConnectIt() throws {
        let file = try FederationFile.load(path: T.example, requirePublicKeys: false)
        let three = try #require(file.restricted(to: Set(Self.ids(["rizhao", "qingdao", "weihai"]))))
        #expect(three.nodes.map(\.id) == Self.ids(["qingdao", "weihai", "rizhao"]))
        #expect(three.syncPeers(of: Self.id("weihai")) == Self.ids(["qingdao"]))
        let reloaded = try FederationFile.decode(three.encoded(), source: "three", requirePublicKeys: false)
        #expect(reloaded.syncPeers(of: Self.id("rizhao")) == Self.ids(["qingdao"]))
        let pair = try #require(file.restricted(to: Set(Self.ids(["rizhao", "weihai"]))))
        #expect(pair.syncPeers(of: Self.id("rizhao")) == Self.ids(["weihai"]), "lists left empty are dropped: those nodes sync with all")
        let line = try #require(file.restricted(to: Set(Self.ids(["weihai", "yantai"]))))
        #expect(line.syncPeers(of: Self.id("weihai")) == Self.ids(["yantai"]))
        // A line qingdao - rizhao - yantai - weihai - weifang, cut where yantai was.
        let chain = try T.decode(Self.example(peers: ["qingdao": ["rizhao"], "rizhao": ["qingdao"], "yantai": ["rizhao", "weihai"],
                                                      "weihai": ["weifang"], "weifang": ["weihai"]]))
        #expect(chain.restricted(to: Set(Self.ids(["qingdao", "rizhao", "weihai", "weifang"]))) == nil)
    }
}

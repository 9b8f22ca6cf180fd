import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import NodeServer

/// The federation `tongban bench federation` runs: `count` nodes, each a `tongban serve`
/// child process of this executable with its own keys and database on the benchmark's
/// cluster, syncing along a ring with chords (``topology(nodes:chords:random:)``).
struct BenchFederation: Sendable {
    /// One running node.
    struct Node: Sendable {
        let id: NodeID
        let centre: CentreID
        let url: String
        let database: String
        let process: BenchProcess
        /// A staff token of its centre.
        let token: String
    }

    let file: FederationFile
    let nodes: [Node]

    /// Node `index`'s id: `city001`, `city002`, …
    static func nodeID(_ index: Int) -> NodeID { NodeID(rawValue: "city" + String(format: "%03d", index + 1))! }

    /// Each node's `peers` list, by index: the next node on a ring, and per chord a partner
    /// drawn by a random perfect matching of the nodes (so each chord adds one peer to every
    /// node). Degree at most 2 + `chords` whatever the count; the chords keep the diameter
    /// near log(count) where a bare ring's is count / 2.
    static func topology<R: RandomNumberGenerator>(nodes count: Int, chords: Int, random: inout R) -> [[Int]] {
        var lists = (0..<count).map { count > 1 ? [($0 + 1) % count] : [] }
        func linked(_ a: Int, _ b: Int) -> Bool { lists[a].contains(b) || lists[b].contains(a) }
        for _ in 0..<chords {
            let order = Array(0..<count).shuffled(using: &random)
            for pair in stride(from: 0, to: count - 1, by: 2) {
                let (a, b) = (order[pair], order[pair + 1])
                if a != b, !linked(a, b) { lists[a].append(b) }
            }
        }
        return lists
    }

    /// Writes keys and the federation file into `directory`, makes a database per node from
    /// one migrated template, and starts every node (not yet waiting until they are ready).
    /// The processes started are added to `children` as they start, so a failure part way
    /// stops those already running.
    static func start(count: Int, chords: Int, seed: UInt64, template: FederationFile, basePort: Int, syncInterval: Int,
                      cluster options: BenchClusterOptions, postgres: LocalCluster, directory: String, children: BenchFederationChildren) async throws -> BenchFederation {
        guard let model = template.nodes.first else { throw BenchProcessError(message: "\(options.federation) lists no node to take a policy from") }
        var random = SplitMix64(seed: seed)
        let lists = topology(nodes: count, chords: chords, random: &random)
        var keys: [(NodeSigningKey, StaffTokenKey)] = []
        var file = FederationFile(name: "bench-\(count)", nodes: [], matchingKey: Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
        for index in 0..<count {
            let id = nodeID(index)
            let key = NodeSigningKey.generate(for: id)
            let tokenKey = StaffTokenKey.generate(for: id)
            try key.write(to: "\(directory)/\(id).key")
            try tokenKey.write(to: "\(directory)/\(id).token.key")
            keys.append((key, tokenKey))
            let centre = FederationFile.Centre(id: CentreID(rawValue: "\(id)-centre")!, name: "第\(index + 1)市法律援助中心", level: "city")
            file.nodes.append(FederationFile.Node(id: id, name: "第\(index + 1)市", url: "http://127.0.0.1:\(basePort + index)", publicKey: key.publicKeyBase64,
                                                  encryptionKey: NodeEncryptionKey(derivedFrom: key).publicKeyBase64, centres: [centre],
                                                  policy: model.policy, peers: lists[index].isEmpty ? nil : lists[index].map(nodeID)))
        }
        let federationPath = directory + "/federation.json"
        try file.encoded().write(to: URL(fileURLWithPath: federationPath))
        // Validated as every node will read it: the ring and chords connect every node.
        file = try FederationFile.load(path: federationPath)

        let templateDatabase = "bench_federation_template"
        BenchFigures.say("migrating a template database, then \(count) copies of it")
        _ = try await options.database(templateDatabase)
        var nodes: [Node] = []
        for (index, entry) in file.nodes.enumerated() {
            let database = "bench_federation_\(index + 1)"
            try postgres.dropDatabase(database)
            try postgres.psql("CREATE DATABASE \(database) TEMPLATE \(templateDatabase) OWNER \(LocalCluster.ownerRole)")
            let process = try BenchProcess.start(
                [try BenchNode.executable(), "serve", "--federation", federationPath, "--node", entry.id.rawValue, "--key", "\(directory)/\(entry.id).key",
                 "--token-key", "\(directory)/\(entry.id).token.key", "--database-url", postgres.url(user: LocalCluster.serviceRole, database: database),
                 "--schema-dir", options.schema.schemaDir, "--sync-interval", String(syncInterval)],
                outputPath: "\(directory)/\(entry.id).log")
            await children.add(process)
            let centre = entry.centres[0].id
            let token = try await TokenAuthority(key: keys[index].1).issue(centre: centre, staff: "bench", role: .staff, validity: .seconds(86_400))
            nodes.append(Node(id: entry.id, centre: centre, url: entry.url, database: database, process: process, token: token))
        }
        return BenchFederation(file: file, nodes: nodes)
    }
}

/// The nodes a federation benchmark started, stopped together: every one is asked to stop
/// at once (SIGTERM) and waited for (killed after its grace).
actor BenchFederationChildren {
    private var processes: [BenchProcess] = []

    func add(_ process: BenchProcess) {
        processes.append(process)
    }

    /// Stops every process; returns those that did not exit with status 0, with their status.
    @discardableResult
    func stopAll() async -> [(process: BenchProcess, status: Int32)] {
        let stopping = processes
        processes.removeAll()
        return await withTaskGroup(of: (BenchProcess, Int32).self) { group in
            for process in stopping { group.addTask { (process, await process.stop()) } }
            var failed: [(process: BenchProcess, status: Int32)] = []
            for await (process, status) in group where status != 0 { failed.append((process, status)) }
            return failed
        }
    }

    /// The largest resident set of the processes now, in MB.
    func largestResidentMB() -> Double {
        processes.compactMap { $0.residentMB() }.max() ?? 0
    }
}

/// A small seeded generator (SplitMix64), so that a run's topology and writes can be repeated.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

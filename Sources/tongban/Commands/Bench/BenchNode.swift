import CaseDomain
import EventLog
import Federation
import Foundation
import NodeServer

/// One node served by `tongban serve` of this very executable, as an operator runs it: a
/// child process on a loopback port with fresh event and token keys and a federation file
/// naming it, over a database of the benchmark's cluster. Its staff tokens are issued with
/// its token key, as `tongban token issue` does.
struct BenchNode: Sendable {
    let node: NodeID
    let baseURL: String
    let process: BenchProcess
    let tokens: TokenAuthority

    /// Writes the node's keys and federation file into `directory` and starts serving
    /// `databaseURL` on 127.0.0.1:`port` (no sync worker: the node has no running peers).
    static func start(node: NodeID, template: FederationFile, databaseURL: String, schemaDirectory: String,
                      port: Int, directory: String) async throws -> BenchNode {
        let keyPath = directory + "/\(node).key"
        let tokenKeyPath = directory + "/\(node).token.key"
        let key = NodeSigningKey.generate(for: node)
        try key.write(to: keyPath)
        let tokenKey = StaffTokenKey.generate(for: node)
        try tokenKey.write(to: tokenKeyPath)
        var federation = template
        for index in federation.nodes.indices {
            let nodeKey = federation.nodes[index].id == node ? key : NodeSigningKey.generate(for: federation.nodes[index].id)
            federation.nodes[index].publicKey = nodeKey.publicKeyBase64
            federation.nodes[index].encryptionKey = NodeEncryptionKey(derivedFrom: nodeKey).publicKeyBase64
            if federation.nodes[index].id == node { federation.nodes[index].url = "http://127.0.0.1:\(port)" }
        }
        let federationPath = directory + "/federation.json"
        try federation.encoded().write(to: URL(fileURLWithPath: federationPath))
        let process = try BenchProcess.start(
            [try Self.executable(), "serve", "--federation", federationPath, "--node", node.rawValue, "--key", keyPath,
             "--token-key", tokenKeyPath, "--database-url", databaseURL, "--schema-dir", schemaDirectory, "--no-sync"],
            outputPath: directory + "/serve.log")
        return BenchNode(node: node, baseURL: "http://127.0.0.1:\(port)", process: process, tokens: await TokenAuthority(key: tokenKey))
    }

    /// A staff token of `centre`, valid for a day.
    func token(for centre: CentreID) async throws -> String {
        try await tokens.issue(centre: centre, staff: "bench", role: .staff, validity: .seconds(86_400))
    }

    /// Waits until the node answers `GET /ready` with 200; fails if it exits or takes
    /// longer than `timeout`.
    func waitUntilReady(_ client: BenchStaffClient, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if process.residentMB() == nil {
                throw BenchProcessError(message: "tongban serve exited before it was ready:\n\(process.outputTail())")
            }
            if await client.status("/ready") == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchProcessError(message: "tongban serve was not ready within \(timeout):\n\(process.outputTail())")
    }

    /// This executable's path, so the node served is the build being measured.
    static func executable() throws -> String {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchProcessError(message: "cannot find this executable (/proc/self/exe is \(path))")
        }
        return path
    }
}

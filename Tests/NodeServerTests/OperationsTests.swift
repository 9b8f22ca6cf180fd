import CaseDomain
import EventLog
import Hummingbird
import Casework
import NodeServer
import TestSupport
import Testing

/// The node describes itself truthfully and says when it can serve.
@Suite("OpenAPI, health and readiness")
struct OperationsTests {
    typealias H = NodeHarness

    @Test func theOpenAPIDocumentListsExactlyTheRoutesServed() async throws {
        try await H.run { node in
            let document = try await node.expect(.ok, .get, "/openapi.json", as: nil)
            #expect(document["openapi"] == "3.1.0")
            guard case .object(let paths)? = document["paths"] else { Issue.record("no paths in the document"); return }
            var described: Set<String> = []
            for (path, item) in paths {
                guard case .object(let operations) = item else { continue }
                for method in operations.keys { described.insert("\(method.uppercased()) \(path)") }
            }
            let served = Set(node.server.router().routes.map { route in
                "\(route.method) /\(route.path.components.map(\.description).joined(separator: "/"))"
            })
            #expect(served.subtracting(described).isEmpty, "served but not described: \(served.subtracting(described).sorted())")
            #expect(described.subtracting(served).isEmpty, "described but not served: \(described.subtracting(served).sorted())")
            #expect(served.count > 30)
        }
    }

    @Test func healthAndReadinessAnswerWithoutAToken() async throws {
        try await H.run { node in
            #expect(try await node.expect(.ok, .get, "/health", as: nil)["status"] == "ok")
            let ready = try await node.expect(.ok, .get, "/ready", as: nil)
            let latest = try Migrator(directory: TestCluster.repositoryRoot + "/schema").latestVersion
            #expect(ready["status"] == "ready" && ready["schemaVersion"]?.integerValue == Int64(latest))
        }
    }
}

import CaseDomain
import Casework
import EventLog
import Hummingbird
@testable import NodeServer
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

    /// The typed list of case commands is what the API and the pages serve (and so, by the
    /// test above, what `/openapi.json` describes): each command at its route under `/v1/`,
    /// each form of the case page at the same route at the root, and no other command route.
    @Test func everyCaseCommandIsServedAtItsRouteAndEachFormAtItsOwn() async throws {
        try await H.run { node in
            let served = Set(node.server.router().routes.map { route in
                "\(route.method) /\(route.path.components.map(\.description).joined(separator: "/"))"
            })
            let api = Set(CaseCommand.Kind.allCases.map { "POST /v1/\($0.route)" })
            let pages = Set(StaffPages.formCommands.map { "POST /\($0.route)" })
            #expect(api.subtracting(served).isEmpty && pages.subtracting(served).isEmpty, "not served: \(api.union(pages).subtracting(served).sorted())")
            let onACase = { (prefix: String) in
                Set(served.filter { $0.hasPrefix("POST \(prefix)cases/{id}/") && !$0.hasSuffix("/investigations") })
            }
            #expect(onACase("/v1/") == api.subtracting(["POST /v1/cases"]), "a command route not in the list: \(onACase("/v1/").subtracting(api).sorted())")
            #expect(onACase("/") == pages, "a form route not in the list: \(onACase("/").subtracting(pages).sorted())")
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

import CaseDomain
import Casework
import EventLog
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `/health` (the process answers), `/ready` (the database answers and its migrations are
/// current) and `/openapi.json` (the contract this node serves).
struct OperationsRoutes {
    let client: PostgresClient
    let node: NodeID
    /// The schema version the code expects; `/ready` is 503 until the database has it.
    let expectedSchemaVersion: Int

    func add(to router: Router<NodeRequestContext>) {
        router.get("health") { _, _ in
            JSONResponse(["status": "ok", "node": node.rawValue])
        }
        router.get("ready") { _, context in
            let applied: [Int: String]
            do {
                applied = try await Migrator.appliedVersions(client, logger: context.logger)
            } catch {
                throw Problem(.unavailable, "the database does not answer: \(describePostgresError(error))")
            }
            let current = applied.keys.max() ?? 0
            guard current >= expectedSchemaVersion else {
                throw Problem(.unavailable, "the database schema is at version \(current), this node needs \(expectedSchemaVersion): run tongban migrate")
            }
            return JSONResponse(["status": JSONValue.string("ready"), "node": .string(node.rawValue), "schemaVersion": .integer(Int64(current))])
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
    }
}

/// The hand-written OpenAPI description of the node's HTTP contract.
public enum OpenAPIDocument {
    /// The document's bytes, as served at `/openapi.json`.
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array(#"{"openapi":"3.1.0","info":{"title":"tongban node (description missing from the build)","version":"0"},"paths":{}}"#.utf8)
        }
        return Array(data)
    }()
}

import Federation
import Hummingbird

/// `/v1/documents/{sha256}`: upload a scan's bytes (the fingerprint must match) and read
/// it back — fetched from a peer, checked and stored, when this node lacks it.
struct DocumentRoutes {
    let documents: DocumentStore
    /// The peers to ask for a scan this node lacks; `nil` for a node that does not sync.
    let peers: PeerClient?

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.put("documents/{sha256}") { request, context in
            let sha256 = try context.parameters.require("sha256")
            guard DocumentStore.isFingerprint(sha256) else {
                throw Problem.invalid("sha256", "expected 64 lowercase hex digits, the SHA-256 of the bytes")
            }
            let mediaType = request.headers[.contentType] ?? "application/octet-stream"
            let content = try await request.body.collect(upTo: context.maxUploadSize)
            guard content.readableBytes > 0 else { throw Problem.invalid("body", "the scan is empty") }
            do {
                let stored = try await documents.store(sha256: sha256, mediaType: mediaType, content: content)
                return JSONResponse(stored ? .created : .ok, ["sha256": sha256, "stored": stored ? "new" : "already held"])
            } catch let error as DocumentStore.StoreError {
                throw Problem.invalid("body", error.description)
            }
        }
        group.get("documents/{sha256}") { _, context in
            let sha256 = try context.parameters.require("sha256")
            var document = try await documents.fetch(sha256: sha256)
            if document == nil, let peers { document = await peers.fetchDocument(sha256: sha256, into: documents) }
            guard let document else {
                throw Problem(.notFound, "no node of the federation holds document \(sha256)")
            }
            return Response(status: .ok, headers: [.contentType: document.mediaType], body: .init(byteBuffer: document.content))
        }
    }
}

import CaseDomain
import Casework
import Federation
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/documents/{sha256}`: upload a scan's bytes (the fingerprint must match) and read
/// it back — fetched from a peer, checked and stored, when this node lacks it.
///
/// Uploads are centre staff's (supervisors and auditors read only), of a type in
/// ``DocumentMediaType`` (415 otherwise) and at most ``maximumScanSize`` (413, counted
/// while the body arrives). A read is answered only for a record the caller may read
/// (``DocumentAccess``); any other fingerprint is a 404, whether or not some node holds it,
/// so a fingerprint reveals nothing. A scan is served as the type its record declares, as
/// a download, never sniffed and never cached.
struct DocumentRoutes {
    /// The largest scan a node accepts: 20 MiB.
    static let maximumScanSize = 20 * 1024 * 1024

    let documents: DocumentStore
    let access: DocumentAccess
    let accessLog: AccessLog
    /// How the nodes that may hold a scan this node lacks are asked; `nil` for a node that does not sync.
    let peers: PeerClient?

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.put("documents/{sha256}") { request, context in
            let staff = try context.requireStaff()
            guard staff.role == .staff else {
                throw Problem(.forbidden, "only centre staff upload scans; a \(staff.role.rawValue) reads them")
            }
            let sha256 = try context.parameters.require("sha256")
            guard DocumentStore.isFingerprint(sha256) else {
                throw Problem.invalid("sha256", "expected 64 lowercase hex digits, the SHA-256 of the bytes")
            }
            guard let mediaType = request.headers[.contentType].flatMap(DocumentStore.mediaType) else {
                throw Problem(.unsupportedMediaType, "send a scan as Content-Type \(Self.allowedTypes)")
            }
            let content = try await Self.collect(request, upTo: Self.maximumScanSize)
            guard content.readableBytes > 0 else { throw Problem.invalid("body", "the scan is empty") }
            do {
                let stored = try await documents.store(sha256: sha256, mediaType: mediaType.rawValue, content: content)
                return JSONResponse(stored ? .created : .ok, ["sha256": sha256, "stored": stored ? "new" : "already held"])
            } catch let error as DocumentStore.StoreError {
                throw Problem.invalid("body", error.description)
            }
        }
        group.get("documents/{sha256}") { _, context in
            let staff = try context.requireStaff()
            let sha256 = try context.parameters.require("sha256")
            guard DocumentStore.isFingerprint(sha256), let declared = try await access.declared(sha256, for: staff) else {
                throw Problem(.notFound, "no document \(sha256) in a record \(staff.centre) may read")
            }
            var document = try await documents.fetch(sha256: sha256)
            if document == nil, let peers {
                document = await peers.fetchDocument(sha256: sha256, from: declared.holders.subtracting([peers.key.node]), everyNode: true, into: documents)
            }
            guard let document else {
                throw Problem(.notFound, "no node of the federation holds document \(sha256) yet")
            }
            try await accessLog.record(staff, kind: .document, record: sha256, caseID: declared.record, purpose: "document-download", fields: ["scan"])
            var headers = HTTPFields()
            headers[.contentType] = declared.mediaType?.rawValue ?? "application/octet-stream"
            headers[.contentDisposition] = Self.contentDisposition(name: declared.name)
            headers[.cacheControl] = "private, no-store"
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: document.content))
        }
    }

    private static let allowedTypes = DocumentMediaType.allCases.map(\.rawValue).joined(separator: ", ")

    /// The body, refused with 413 as soon as it is known to exceed `limit`: by its declared
    /// length before any of it is read, else by the bytes received so far.
    private static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        let tooLarge = Problem(.payloadTooLarge, "a scan is at most \(limit / (1024 * 1024)) MiB")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var content = ByteBuffer()
        for try await chunk in request.body {
            guard chunk.readableBytes <= limit - content.readableBytes else { throw tooLarge }
            content.writeImmutableBuffer(chunk)
        }
        return content
    }

    /// `attachment` with the declared name twice: as plain ASCII (anything else, and the
    /// characters that could end or bend the value, as `_`) and in full as RFC 5987 UTF-8.
    static func contentDisposition(name: String) -> String {
        let name = name.isEmpty ? "document" : name
        let fallback = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            (0x20...0x7E).contains(scalar.value) && !"\"\\/;%".unicodeScalars.contains(scalar) ? scalar : "_"
        }))
        let encoded = name.utf8.map { byte in
            attributeCharacters.contains(byte) ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// RFC 5987 `attr-char`: what a `filename*` value holds unencoded.
    private static let attributeCharacters = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~".utf8))
}

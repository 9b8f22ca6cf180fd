import CaseDomain
import Casework
import Crypto
import Federation
import Foundation
import HTTPTypes
import Hummingbird
@testable import NodeServer
import Testing

/// Scans by need to know: served only to the centres of a record that refers to them (their
/// cities' supervisors and auditors read too), as the type that record declares and as a
/// download; uploaded by centre staff only, of an allowed type, up to a size limit.
@Suite("Documents by need to know")
struct DocumentAccessTests {
    typealias H = NodeHarness

    static func fingerprint(_ bytes: ByteBuffer) -> String {
        SHA256.hash(data: bytes.readableBytesView).map { String(format: "%02x", $0) }.joined()
    }

    static func upload(_ node: H, _ bytes: ByteBuffer, as centre: CentreID = H.wulian, role: StaffRole = .staff,
                       contentType: String? = "application/pdf", sha256: String? = nil) async throws -> H.Answer {
        var headers: HTTPFields = [.authorization: "Bearer \(try await node.token(centre, role: role))"]
        if let contentType { headers[.contentType] = contentType }
        return try await node.send(.put, "/v1/documents/\(sha256 ?? fingerprint(bytes))", headers: headers, body: bytes)
    }

    static func read(_ node: H, _ sha256: String, as centre: CentreID, role: StaffRole = .staff) async throws -> (HTTPResponse.Status, HTTPFields, ByteBuffer) {
        let headers: HTTPFields = [.authorization: "Bearer \(try await node.token(centre, role: role))"]
        return try await node.client.execute(uri: "/v1/documents/\(sha256)", method: .get, headers: headers) { ($0.status, $0.headers, $0.body) }
    }

    /// A case at Wulian whose application declares the scan as `申请表.pdf`, a PDF.
    static func application(referring sha256: String, size: Int) -> JSONValue {
        H.application().setting("documents", [["name": "申请表.pdf", "mediaType": "application/pdf", "size": .integer(Int64(size)),
                                               "sha256": .string(sha256)]])
    }

    @Test func aScanIsServedOnlyToTheCentresOfARecordThatRefersToItAsTheTypeTheRecordDeclares() async throws {
        try await H.run { node in
            let scan = ByteBuffer(string: "<html><script>alert(1)</script></html>")
            let sha256 = Self.fingerprint(scan)
            // Stored before the type was checked: as text/html.
            _ = try await node.database.superuser.query("INSERT INTO documents (sha256, media_type, content) VALUES (\(sha256), 'text/html', \(scan))")
            let nowhere = try await Self.read(node, sha256, as: H.wulian)
            let unknown = try await Self.read(node, String(repeating: "1", count: 64), as: H.wulian)
            #expect(nowhere.0 == .notFound && unknown.0 == .notFound, "no record refers to it yet: as if it did not exist")

            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, Self.application(referring: sha256, size: scan.readableBytes))
            let path = "/v1/cases/\(try #require(created["caseId"]?.stringValue))"
            let (status, headers, body) = try await Self.read(node, sha256, as: H.wulian)
            #expect(status == .ok && body == scan)
            #expect(headers[.contentType] == "application/pdf", "the declared type, not the stored one: \(headers)")
            #expect(headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(headers[.contentDisposition] == "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf")
            #expect(headers[.cacheControl] == "private, no-store")

            let qingdaoSupervisor = (H.licang, StaffRole.supervisor)
            for (centre, role) in [(H.licang, StaffRole.staff), (H.huancui, .staff), qingdaoSupervisor, (H.huancui, .supervisor)] {
                let refused = try await Self.read(node, sha256, as: centre, role: role)
                #expect(refused.0 == .notFound, "\(centre) \(role) takes no part in the case yet")
            }
            #expect(try await Self.read(node, sha256, as: H.huancui, role: .auditor).0 == .ok, "auditors read every record")
            #expect(try await Self.read(node, sha256, as: H.wulian, role: .supervisor).0 == .ok, "Rizhao's supervisor reads its centre's records")

            try await node.expect(.ok, .post, "\(path)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            try await node.expect(.ok, .post, "\(path)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "court"])
            #expect(try await Self.read(node, sha256, as: H.licang).0 == .ok, "Licang takes part once the case is transferred to it")
            #expect(try await Self.read(node, sha256, as: qingdaoSupervisor.0, role: qingdaoSupervisor.1).0 == .ok)
            #expect(try await Self.read(node, sha256, as: H.huancui).0 == .notFound, "Huancui still takes no part")
        }
    }

    @Test func uploadsNeedCentreStaffAnAllowedTypeAndAtMostTheLimitCheckedWhileReading() async throws {
        try await H.run { node in
            let scan = ByteBuffer(string: "%PDF-1.7 申请表")
            for role in [StaffRole.auditor, .supervisor] {
                let refused = try await Self.upload(node, scan, role: role)
                #expect(refused.status == .forbidden && refused.problemType == "forbidden", "\(role): \(refused.json)")
            }
            for contentType in ["text/html", "image/svg+xml", "application/octet-stream", nil] {
                let refused = try await Self.upload(node, scan, contentType: contentType)
                #expect(refused.status == .unsupportedMediaType && refused.problemType == "unsupported-media-type", "\(contentType ?? "none"): \(refused.json)")
            }
            let oversize = ByteBuffer(repeating: 0x25, count: DocumentRoutes.maximumScanSize + 1)
            let tooLarge = try await Self.upload(node, oversize)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.problemType == "payload-too-large", "\(tooLarge.json)")
            #expect(try await node.database.count("SELECT count(*)::int FROM documents") == 0, "nothing refused is stored")

            #expect(try await Self.upload(node, scan, contentType: "image/JPEG; charset=binary").status == .created, "parameters and case do not matter")
            #expect(try await node.database.count("SELECT count(*)::int FROM documents WHERE media_type = 'image/jpeg'") == 1)
            let atTheLimit = ByteBuffer(repeating: 0x25, count: DocumentRoutes.maximumScanSize)
            #expect(try await Self.upload(node, atTheLimit).status == .created)
        }
    }

    /// The peer route serves what the store holds: the store holds allowed types only.
    @Test func theStoreRefusesATypeOutsideTheAllowList() async throws {
        try await H.run { node in
            let scan = ByteBuffer(string: "<svg onload=alert(1)>")
            let store = DocumentStore(client: node.database.service)
            let refusal = await #expect(throws: DocumentStore.StoreError.self) {
                try await store.store(sha256: Self.fingerprint(scan), mediaType: "text/html", content: scan)
            }
            #expect(refusal == .mediaTypeNotAllowed("text/html"))
            let stored = try await node.database.count("SELECT count(*)::int FROM documents")
            #expect(stored == 0)
        }
    }

    @Test func aDownloadsNameIsPlainASCIIBesideItsUTF8Spelling() {
        #expect(DocumentRoutes.contentDisposition(name: "申请表.pdf") == "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf")
        #expect(DocumentRoutes.contentDisposition(name: "a\";b\\c/..%\u{0301}.pdf")
                == "attachment; filename=\"a__b_c_..__.pdf\"; filename*=UTF-8''a%22%3Bb%5Cc%2F..%25%CC%81.pdf")
        #expect(DocumentRoutes.contentDisposition(name: "") == "attachment; filename=\"document\"; filename*=UTF-8''document")
    }
}

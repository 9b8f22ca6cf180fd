import CaseDomain
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Document scans by fingerprint, in the node's database. A scan is accepted only when
/// its bytes hash to the fingerprint it is stored under and its media type is one of
/// ``DocumentMediaType``; storing it again changes nothing.
public struct DocumentStore: Sendable {
    /// A stored scan.
    public struct Document: Sendable, Hashable {
        public var sha256: String
        /// One of ``DocumentMediaType``, or `application/octet-stream` for a scan stored
        /// before types were checked.
        public var mediaType: String
        public var content: ByteBuffer
    }

    /// Why a scan was not stored.
    public enum StoreError: Error, Hashable, CustomStringConvertible {
        case malformedFingerprint(String)
        case fingerprintMismatch(expected: String, actual: String)
        case mediaTypeNotAllowed(String)

        public var description: String {
            switch self {
            case .mediaTypeNotAllowed(let type):
                "'\(type)' is not a scan's media type: one of \(DocumentMediaType.allCases.map(\.rawValue).joined(separator: ", "))"
            case .malformedFingerprint(let text): "'\(text)' is not a SHA-256 fingerprint (64 lowercase hex digits)"
            case .fingerprintMismatch(let expected, let actual): "the bytes hash to \(actual), not \(expected)"
            }
        }
    }

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.documents")) {
        self.client = client
        self.logger = logger
    }

    /// Whether `text` is a fingerprint: 64 lowercase hex digits.
    public static func isFingerprint(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The scan media type a `Content-Type` value names (parameters and case aside), if it is
    /// one of ``DocumentMediaType``.
    public static func mediaType(_ contentType: String) -> DocumentMediaType? {
        let essence = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return DocumentMediaType(rawValue: essence)
    }

    /// Stores `content` under `sha256` as `mediaType` (a `Content-Type` value naming one of
    /// ``DocumentMediaType``); returns `false` when the node already held it.
    public func store(sha256: String, mediaType: String, content: ByteBuffer) async throws -> Bool {
        guard Self.isFingerprint(sha256) else { throw StoreError.malformedFingerprint(sha256) }
        guard let allowed = Self.mediaType(mediaType) else { throw StoreError.mediaTypeNotAllowed(mediaType) }
        let actual = SHA256.hash(data: content.readableBytesView).map { String(format: "%02x", $0) }.joined()
        guard actual == sha256 else { throw StoreError.fingerprintMismatch(expected: sha256, actual: actual) }
        // A scan an erasure removed is never stored again (from a peer that has not erased yet, or an upload).
        let rows = try await client.query("""
            INSERT INTO documents (sha256, media_type, content)
            SELECT \(sha256), \(allowed.rawValue), \(content) WHERE NOT EXISTS (SELECT 1 FROM document_erasures WHERE sha256 = \(sha256))
            ON CONFLICT (sha256) DO NOTHING RETURNING sha256
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The scan stored under `sha256`, if this node holds it.
    public func fetch(sha256: String) async throws -> Document? {
        guard Self.isFingerprint(sha256) else { return nil }
        let rows = try await client.query("SELECT media_type, content FROM documents WHERE sha256 = \(sha256)", logger: logger)
        for try await (mediaType, content) in rows.decode((String, ByteBuffer).self) {
            return Document(sha256: sha256, mediaType: Self.mediaType(mediaType)?.rawValue ?? "application/octet-stream", content: content)
        }
        return nil
    }
}

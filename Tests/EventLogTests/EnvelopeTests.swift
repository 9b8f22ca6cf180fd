import CaseDomain
@testable import EventLog
import Foundation
import Testing

@Suite("The signed envelope and the SQL script splitter")
struct EnvelopeTests {
    static func envelope() -> EventEnvelope {
        EventEnvelope(
            eventId: UUID(uuidString: "0190d7a0-0000-7000-8000-000000000001")!, originNode: NodeID(rawValue: "rizhao")!,
            originSeq: 1, streamId: "case-1", streamVersion: 1, type: "ApplicationSubmitted", schemaVersion: 1,
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_795_000_000_123), actor: Actor(centre: CentreID(rawValue: "rizhao-wulian")!, staff: "wang"),
            body: .object(["applicant": .object(["name": .string("张某")]), "urgent": .bool(false)]), prevHash: .genesis
        )
    }

    @Test func envelopeBytesAreCanonicalAndRoundTrip() throws {
        let bytes = try Self.envelope().canonicalBytes()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"actor":{"centre":"rizhao-wulian","staff":"wang"},"body":{"applicant":{"name":"张某"},"urgent":false},"eventId":"0190d7a0-0000-7000-8000-000000000001""#))
        #expect(!text.contains(" "), "canonical JSON has no insignificant whitespace")
        #expect(try EventEnvelope(canonicalBytes: bytes) == Self.envelope())
    }

    @Test func nonCanonicalBytesAreRefused() throws {
        let spaced = Array(String(decoding: try Self.envelope().canonicalBytes(), as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
        #expect(throws: EnvelopeError.notCanonical) { try EventEnvelope(canonicalBytes: spaced) }
        #expect(throws: EnvelopeError.self) { try EventEnvelope(canonicalBytes: Array("{}".utf8)) }
    }

    @Test func signaturesVerifyOnlyWithTheOriginsKey() throws {
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!)
        let signed = try SignedEvent(signing: Self.envelope(), with: key)
        try signed.verify(with: OriginKeyring([key.node: key.publicKey]))
        let impostor = NodeSigningKey.generate(for: key.node)
        #expect(throws: IntegrityError.badSignature) { try signed.verify(with: OriginKeyring([key.node: impostor.publicKey])) }
        #expect(throws: IntegrityError.unknownOrigin(key.node)) { try signed.verify(with: OriginKeyring()) }
        #expect(throws: SigningError.self) { try SignedEvent(signing: Self.envelope(), with: NodeSigningKey.generate(for: NodeID(rawValue: "qingdao")!)) }
    }

    @Test func keyFilesArePrivateAndRefuseOverwrite() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-key-\(UUID())").path
        let key = NodeSigningKey.generate(for: NodeID(rawValue: "weihai")!)
        try key.write(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try NodeSigningKey.read(node: key.node, from: path).publicKeyBase64 == key.publicKeyBase64)
        #expect(throws: KeyFileError.exists(path: path)) { try key.write(to: path) }
        #expect(throws: KeyFileError.self) { try NodeSigningKey.read(node: key.node, from: path + ".missing") }
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: path + ".bad"))
        #expect(throws: KeyFileError.malformed(path: path + ".bad")) { try NodeSigningKey.read(node: key.node, from: path + ".bad") }
    }

    @Test func sqlScriptsSplitOutsideQuotesBodiesAndComments() throws {
        let script = try SQLScript("""
            -- a comment; with a semicolon
            CREATE TABLE a (t text DEFAULT 'x;y');
            /* block; comment */
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'no; never'; END;
            $$;
            COMMENT ON TABLE a IS 'it''s; fine'
            """)
        #expect(script.statements.map(\.line) == [2, 4, 7])
        #expect(script.statements[1].text.hasSuffix("$$"))
        #expect(throws: SQLScriptError.unterminated("dollar-quoted body", line: 1)) { try SQLScript("SELECT $$ open") }
        #expect(throws: SQLScriptError.unterminated("quoted text", line: 2)) { try SQLScript("SELECT 1;\nSELECT 'open") }
    }

    /// Event ids are read without Foundation's scanner; they read as `UUID(uuidString:)` reads them.
    @Test func eventIDsReadAsFoundationReadsThem() {
        var texts: [String] = []
        for _ in 0..<200 {
            let text = UUID().uuidString
            texts += [text, text.lowercased()]
        }
        texts += ["", "0190f0a0-0000-7000-8000-00000000000", "0190f0a0-0000-7000-8000-0000000000000", "0190f0a0x0000-7000-8000-000000000000",
                  "0190f0a0-0000-7000-8000-00000000000g", "{0190f0a0-0000-7000-8000-000000000000}", "0190f0a000007000800000000000000000000",
                  "0190F0A0-0000-7000-8000-0000000000AB", "０190f0a0-0000-7000-8000-000000000000"]
        for text in texts {
            #expect(UUID(hyphenatedHex: text) == UUID(uuidString: text), "\(text)")
        }
    }
}

import CaseDomain
import EventLog
import Federation
import Foundation
import Testing

@Suite("Checkpoints: signed by their origin, cosigned by witnesses, read strictly from the wire and from files")
struct SignedCheckpointTests {
    static let qingdao = NodeSigningKey.generate(for: NodeID(rawValue: "qingdao")!)
    static let rizhao = NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!)
    static let weihai = NodeSigningKey.generate(for: NodeID(rawValue: "weihai")!)
    static let keyring = OriginKeyring([qingdao.node: qingdao.publicKey, rizhao.node: rizhao.publicKey, weihai.node: weihai.publicKey])
    static let hash = EventHash(of: Data("event 42".utf8))
    static let signedAt = Timestamp(iso8601: "2026-12-02T05:00:00.123Z")!

    static func checkpoint(seq: Int64 = 42, hash: EventHash = hash) throws -> SignedCheckpoint {
        try SignedCheckpoint.sign(seq: seq, hash: hash, at: signedAt, with: qingdao)
    }

    @Test func theOriginsSignatureCoversEveryField() throws {
        let signed = try Self.checkpoint()
        #expect(signed.isSigned(by: Self.keyring))
        let altered = [
            SignedCheckpoint(origin: signed.origin, seq: 43, hash: signed.hash, signedAt: signed.signedAt, signature: signed.signature, cosignatures: [:]),
            SignedCheckpoint(origin: signed.origin, seq: 42, hash: EventHash(of: Data("other".utf8)), signedAt: signed.signedAt, signature: signed.signature, cosignatures: [:]),
            SignedCheckpoint(origin: signed.origin, seq: 42, hash: signed.hash, signedAt: signed.signedAt.adding(milliseconds: 1), signature: signed.signature, cosignatures: [:]),
            SignedCheckpoint(origin: Self.rizhao.node, seq: 42, hash: signed.hash, signedAt: signed.signedAt, signature: signed.signature, cosignatures: [:]),
        ]
        for checkpoint in altered { #expect(!checkpoint.isSigned(by: Self.keyring), "\(checkpoint)") }
        #expect(!signed.isSigned(by: OriginKeyring()), "an origin outside the federation signs nothing")
    }

    @Test func onlyAWitnessesOwnKeyCosignsAndTheOriginIsNoWitness() throws {
        var cosigned = try Self.checkpoint().cosigned(with: Self.rizhao).cosigned(with: Self.qingdao)
        #expect(Set(cosigned.validCosignatures(in: Self.keyring).keys) == [Self.rizhao.node])
        // weihai's entry with rizhao's signature: not weihai's.
        cosigned.cosignatures[Self.weihai.node] = cosigned.cosignatures[Self.rizhao.node]
        #expect(Set(cosigned.validCosignatures(in: Self.keyring).keys) == [Self.rizhao.node])
    }

    @Test func aWireCheckpointReadsBackAndHostileFieldsAreNamed() throws {
        let signed = try Self.checkpoint().cosigned(with: Self.weihai)
        let wire = SyncMessages.WireCheckpoint(signed)
        let read = try JSONDecoder().decode(SyncMessages.WireCheckpoint.self, from: JSONEncoder().encode(wire)).checkpoint()
        #expect(read == signed)
        func refusal(_ change: (inout SyncMessages.WireCheckpoint) -> Void) -> String {
            var hostile = wire
            change(&hostile)
            do { _ = try hostile.checkpoint(); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal { $0.origin = "Qingdao\u{0}" }.contains("is not a node id"))
        #expect(refusal { $0.seq = 0 }.contains("seq"))
        #expect(refusal { $0.seq = .max }.contains("seq"))
        #expect(refusal { $0.hash = String(repeating: "g", count: 64) }.contains("hash"))
        #expect(refusal { $0.signedAt = "yesterday" }.contains("signedAt"))
        #expect(refusal { $0.signature = "AAAA" }.contains("signature"))
        #expect(refusal { $0.cosignatures = ["weihai": "not base64"] }.contains("cosignatures"))
        #expect(refusal { $0.cosignatures = Dictionary(uniqueKeysWithValues: (0...1000).map { ("n\($0)", wire.signature) }) }.contains("at most"))
    }

    @Test func aPullAnswerCarriesCheckpointsAndLeavesOutOnlyTheMalformedOnes() throws {
        let good = try Self.checkpoint()
        var response = SyncMessages.PullResponse(events: [], more: false, vector: [:], checkpoints: [good, try Self.checkpoint(seq: 7)])
        response.checkpoints?[1].hash = "zz"
        let read = try JSONDecoder().decode(SyncMessages.PullResponse.self, from: response.encoded())
        #expect(read.parsedCheckpoints() == [good])
        let none = try JSONDecoder().decode(SyncMessages.PullResponse.self, from: SyncMessages.PullResponse(events: [], more: true, vector: [:]).encoded())
        #expect(none.checkpoints == nil && none.parsedCheckpoints().isEmpty)
    }

    @Test func theTextFormIsStableAndReadsBack() throws {
        let first = try Self.checkpoint().cosigned(with: Self.weihai).cosigned(with: Self.rizhao)
        let second = try SignedCheckpoint.sign(seq: 3, hash: Self.hash, at: Self.signedAt, with: Self.rizhao)
        let text = CheckpointText.format([first, second])
        #expect(text == CheckpointText.format([second, first]), "the order of the input does not matter")
        let lines = text.split(separator: "\n")
        #expect(lines.first == "tongban checkpoints v1")
        #expect(lines[1].hasPrefix("checkpoint qingdao 42 \(Self.hash.hex) 2026-12-02T05:00:00.123Z "))
        #expect(lines[2].hasPrefix("cosignature qingdao 42 \(Self.hash.hex) rizhao "))
        #expect(lines[3].hasPrefix("cosignature qingdao 42 \(Self.hash.hex) weihai "))
        #expect(lines[4].hasPrefix("checkpoint rizhao 3 "))
        #expect(try CheckpointText.parse(text + "# a comment\n\n") == [first, second])
    }

    @Test(arguments: [
        ("", 1, "first line"),
        ("tongban checkpoints v2\n", 1, "first line"),
        ("tongban checkpoints v1\ncheckpoint qingdao 42\n", 2, "expected"),
        ("tongban checkpoints v1\ncosignature qingdao 42 \(String(repeating: "0", count: 64)) rizhao sig\n", 2, "must follow"),
        ("tongban checkpoints v1\ncheckpoint qingdao x \(String(repeating: "0", count: 64)) 2026-12-02T05:00:00.000Z sig\n", 2, "seq"),
    ])
    func aMalformedFileIsRefusedNamingTheLine(text: String, line: Int, reason: String) {
        do {
            _ = try CheckpointText.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.reason.contains(reason), "\(error)")
        }
    }
}

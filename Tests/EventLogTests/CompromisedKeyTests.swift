import CaseDomain
import EventLog
import Federation
import Foundation
import TestSupport
import Testing

@Suite("A key the federation file marks compromised: what it signs from then on is quarantined everywhere")
struct CompromisedKeyTests {
    static let qingdao = NodeID(rawValue: "qingdao")!

    /// The test keyring with qingdao's key marked compromised from seq 3.
    static var keyring: OriginKeyring {
        var keyring = TestDatabase.keyring
        keyring.markCompromised(qingdao, key: TestDatabase.key("qingdao").publicKey, fromSeq: 3, reason: "key file copied 2026-12-01")
        return keyring
    }

    @Test func eventsFromTheMarkedSequenceOnAreQuarantinedOnEveryNodeThatImportsThem() async throws {
        var chain = OriginChain("qingdao")
        for index in 0..<5 { try chain.add(to: "case-q\(index)") }
        let events = chain.events
        try await withTestDatabase { first in
            try await withTestDatabase { second in
                let outcome = try await EventAppender(client: first.service, signingKey: TestDatabase.key("rizhao"), keyring: Self.keyring).importEvents(events)
                #expect(outcome.imported == 5 && outcome.quarantined.count == 3, "\(outcome)")
                #expect(Set(outcome.quarantined.values) == ["compromised-key: key file copied 2026-12-01"])
                #expect(try await first.count("SELECT count(*) FROM events WHERE quarantine_reason IS NULL") == 2)
                // Relayed from the first node, the second quarantines the same events.
                let relayed = try await EventReader(client: first.service).readBatch(after: 0, limit: 10).map(\.signed)
                _ = try await EventAppender(client: second.service, signingKey: TestDatabase.key("weihai"), keyring: Self.keyring).importEvents(relayed)
                #expect(try await second.count("SELECT count(*) FROM events WHERE quarantine_reason LIKE 'compromised-key:%' AND origin_seq >= 3") == 3)
                let report = try await ChainVerifier(client: second.service, keyring: Self.keyring).verify()
                #expect(report.isIntact && report.origins[Self.qingdao]?.quarantined == 3 && report.origins[Self.qingdao]?.compromisedUnquarantined == 0)
            }
        }
        // A node that imported them before the marking is told so by verify.
        try await withTestDatabase { early in
            _ = try await EventAppender(client: early.service, signingKey: TestDatabase.key("rizhao"), keyring: TestDatabase.keyring).importEvents(events)
            let report = try await ChainVerifier(client: early.service, keyring: Self.keyring).verify()
            #expect(report.isIntact && report.origins[Self.qingdao]?.compromisedUnquarantined == 3, "\(report.origins)")
        }
    }

    @Test func aThiefCannotHandTheChainToItselfAndTheNodeStopsSigning() async throws {
        let thief = NodeSigningKey.generate(for: Self.qingdao)
        var chain = OriginChain("qingdao")
        for index in 0..<3 { try chain.add(to: "case-q\(index)") }
        try chain.add(to: NodeKeyChange.stream(of: Self.qingdao), type: NodeKeyChange.type,
                      body: ["publicKey": .string(thief.publicKey.rawRepresentation.base64EncodedString())])
        #expect(Self.keyring.following(chain.events).rotations(of: Self.qingdao).isEmpty, "a change signed at seq 4 by the compromised key is not followed")
        #expect(TestDatabase.keyring.following(chain.events).rotations(of: Self.qingdao).count == 1, "unmarked, the same change is followed")
        try await withTestDatabase { database in
            let node = EventAppender(client: database.service, signingKey: TestDatabase.key("qingdao"), keyring: Self.keyring)
            do {
                _ = try await node.append(to: "case-x", expectedVersion: 0, events: [sampleEvent()])
                Issue.record("a node signed with its compromised key")
            } catch {
                #expect("\(error)".contains("marked compromised"), "\(error)")
            }
        }
    }

    @Test func theFederationFileNamesAMalformedMark() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        var file = try FederationFile.decode(data, source: "example", requirePublicKeys: false)
        file.nodes[1].publicKey = TestDatabase.key(file.nodes[1].id.rawValue).publicKeyBase64
        for (mark, field) in [(FederationFile.CompromisedKey(publicKey: "AAAA", fromSeq: 3, reason: "leak"), "publicKey"),
                              (FederationFile.CompromisedKey(publicKey: file.nodes[1].publicKey!, fromSeq: 0, reason: "leak"), "fromSeq"),
                              (FederationFile.CompromisedKey(publicKey: file.nodes[1].publicKey!, fromSeq: 3, reason: " "), "reason")] {
            var marked = file
            marked.nodes[1].compromisedKeys = [mark]
            #expect(throws: FederationFileError.self) { try FederationFile.decode(try marked.encoded(), source: "f", requirePublicKeys: false) }
            do { _ = try FederationFile.decode(try marked.encoded(), source: "f", requirePublicKeys: false) } catch {
                #expect("\(error)".contains("nodes[1].compromisedKeys[0].\(field)"), "\(error)")
            }
        }
        var good = file
        good.nodes[1].compromisedKeys = [.init(publicKey: file.nodes[1].publicKey!, fromSeq: 3, reason: "key file copied")]
        let keyring = try FederationFile.decode(try good.encoded(), source: "f", requirePublicKeys: false).keyring
        #expect(keyring.compromise(of: file.nodes[1].id, seq: 3) == "key file copied" && keyring.compromise(of: file.nodes[1].id, seq: 2) == nil)
    }
}

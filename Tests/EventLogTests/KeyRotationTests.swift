import CaseDomain
import Crypto
import EventLog
import Federation
import Foundation
import TestSupport
import Testing

@Suite("Key rotation: a chain's key changes in the chain itself, and every check follows it")
struct KeyRotationTests {
    static let qingdao = NodeID(rawValue: "qingdao")!

    /// qingdao's chain: three events under its first key, a key change to `next`, two events under `next`.
    static func rotatedChain(to next: NodeSigningKey) throws -> OriginChain {
        var chain = OriginChain("qingdao")
        for index in 0..<3 { try chain.add(to: "case-q\(index)") }
        try chain.add(to: NodeKeyChange.stream(of: qingdao), type: NodeKeyChange.type,
                      body: ["publicKey": .string(next.publicKey.rawRepresentation.base64EncodedString())])
        chain.key = next
        for index in 0..<2 { try chain.add(to: "case-q\(index)") }
        return chain
    }

    @Test func oldAndNewEventsImportAndVerifyAcrossTheChange() async throws {
        try await withTestDatabase { database in
            let next = NodeSigningKey.generate(for: Self.qingdao)
            let chain = try Self.rotatedChain(to: next)
            let appender = database.appender()
            #expect(try await appender.importEvents(chain.events).imported == 6, "one batch: the change counts for the events after it")
            let keys = try await appender.originKeys()
            #expect(keys[Self.qingdao]?.rawRepresentation == next.publicKey.rawRepresentation)
            #expect(keys.key(for: Self.qingdao, seq: 4)?.rawRepresentation == TestDatabase.key("qingdao").publicKey.rawRepresentation)
            #expect(keys.key(for: Self.qingdao, seq: 5)?.rawRepresentation == next.publicKey.rawRepresentation)
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.isIntact, "\(report.problems)")
            #expect(report.origins[Self.qingdao]?.events == 6)

            // A fresh appender (a restart) reads the change from the log, and a later batch
            // under the new key imports.
            var more = chain
            try more.add(to: "case-q2")
            let restarted = database.appender()
            #expect(try await restarted.importEvents(Array(more.events.suffix(1))).imported == 1)
        }
    }

    @Test func eventsUnderTheOldKeyAfterTheChangeOrAForgedChangeAreRefused() async throws {
        try await withTestDatabase { database in
            let next = NodeSigningKey.generate(for: Self.qingdao)
            var chain = try Self.rotatedChain(to: next)
            // The old key signs on after the change: whoever holds it cannot continue the chain.
            chain.key = TestDatabase.key("qingdao")
            try chain.add(to: "case-q0")
            do {
                let outcome = try await database.appender().importEvents(chain.events)
                Issue.record("seq 7 signed by the replaced key was not refused: \(outcome)")
            } catch {
                #expect("\(error)".contains("qingdao seq 7") && "\(error)".contains("signature does not verify"), "\(error)")
            }
            #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node = 'qingdao' AND origin_seq = 7") == 0)

            // A key change signed by another key changes nothing.
            let intruder = NodeSigningKey.generate(for: Self.qingdao)
            var forged = OriginChain(key: intruder)
            try forged.add(to: NodeKeyChange.stream(of: Self.qingdao), type: NodeKeyChange.type,
                           body: ["publicKey": .string(intruder.publicKey.rawRepresentation.base64EncodedString())])
            #expect(TestDatabase.keyring.following(forged.events)[Self.qingdao]?.rawRepresentation == TestDatabase.key("qingdao").publicKey.rawRepresentation)
            // Nor does one another node writes into qingdao's stream.
            var other = OriginChain("rizhao")
            try other.add(to: NodeKeyChange.stream(of: Self.qingdao), type: NodeKeyChange.type,
                          body: ["publicKey": .string(intruder.publicKey.rawRepresentation.base64EncodedString())])
            let keyring = TestDatabase.keyring.following(other.events)
            #expect(keyring.rotations(of: Self.qingdao).isEmpty && keyring.rotations(of: NodeID(rawValue: "rizhao")!).isEmpty)
        }
    }

    @Test func aNodeAppendsUnderItsNewKeyAndRefusesToSignWithTheOldOne() async throws {
        try await withTestDatabase { database in
            let old = TestDatabase.key("rizhao"), next = NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!)
            let before = EventAppender(client: database.service, signingKey: old, keyring: TestDatabase.keyring)
            _ = try await before.append(to: "case-a", expectedVersion: 0, events: [sampleEvent()])
            _ = try await before.append(to: NodeKeyChange.stream(of: old.node), expectedVersion: 0, events: [NodeKeyChange.event(newKey: next.publicKey)])
            let after = EventAppender(client: database.service, signingKey: next, keyring: TestDatabase.keyring)
            _ = try await after.append(to: "case-a", expectedVersion: 1, events: [sampleEvent()])
            let stale = EventAppender(client: database.service, signingKey: old, keyring: TestDatabase.keyring)
            await #expect(throws: AppendError.self) { try await stale.append(to: "case-b", expectedVersion: 0, events: [sampleEvent()]) }
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.isIntact && report.origins[old.node]?.events == 3, "\(report.problems)")
        }
    }
}

import CaseDomain
import EventLog
import Foundation
import TestSupport
import Testing

/// Invariant 9 and issue 13: whatever one node accepts, every node imports. An event no
/// local write could have produced is quarantined on its own; a bad origin stops only its
/// own chain; nothing a peer sends fails the group commit it arrives with.
@Suite("Invariant 9: hostile imports are quarantined or refused one origin at a time")
struct HostileImportTests {
    @Test func aLocalAppendBreakingTheValueRulesIsRefusedNamingTheField() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            let actor = Actor(centre: CentreID(rawValue: "rizhao-wulian")!, staff: "王某")
            let cases: [(JSONValue, String)] = [
                (.object(["lawyer": .string("\u{0}x")]), "lawyer"),
                (.object(["applicant": .object(["name": .string("张\u{202E}某")])]), "applicant.name"),
                (.object(["documents": .array([.object(["mediaType": .string("text/html")])])]), "documents[0].mediaType"),
                (.object(["recoveredAmount": .integer(-1)]), "recoveredAmount"),
                (.object(["reason": .string(String(repeating: "长", count: 4001))]), "reason"),
                (.object(["summary": .string("line\u{85}break")]), "summary"),
            ]
            for (body, field) in cases {
                let reason = try #require(Self.reason(body, field), "\(field) breaks the rules")
                await #expect(throws: AppendError.invalidValue(field: field, reason: reason)) {
                    try await appender.append(to: "case-local", expectedVersion: 0, events: [NewEvent(type: "TestEventRecorded", actor: actor, body: body)])
                }
            }
            let small = EventAppender(client: database.service, signingKey: TestDatabase.key("rizhao"), keyring: TestDatabase.keyring,
                                      valueRules: EventValueRules(maximumEventBytes: 2048))
            await #expect(throws: AppendError.self) {
                try await small.append(to: "case-local", expectedVersion: 0,
                                       events: [NewEvent(type: "TestEventRecorded", actor: actor, body: .object(["reason": .string(String(repeating: "x", count: 3000))]))])
            }
            let written = try await database.count("SELECT count(*) FROM events")
            #expect(written == 0, "a refused append writes nothing")
        }
    }

    private static func reason(_ body: JSONValue, _ field: String) -> String? {
        do throws(EventValueRules.Violation) { try EventValueRules.check(body: body) } catch { return error.field == field ? error.reason : nil }
        return nil
    }

    /// Issue 13 item 3 on import: a peer's event with U+0000 in its body, a staff name with a
    /// control character, a schema version PostgreSQL's integer cannot hold. Each is stored
    /// in quarantine (in its origin's chain, so later events still import), the events around
    /// it are accepted, and `verify` finds the log intact.
    @Test func anImportedEventBreakingTheValueRulesIsQuarantinedAlone() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            var chain = OriginChain("qingdao")
            try chain.add(to: "case-a")
            try chain.add(to: "case-b", body: .object(["lawyer": .string("\u{0}x")]))
            try chain.add(to: "case-c", staff: "peer\u{1B}[2J")
            try chain.add(to: "case-d", schemaVersion: 1 << 40)
            try chain.add(to: "case-e", type: "Bad\u{0}Type")
            try chain.add(to: "case-a")
            let outcome = try await appender.importEvents(chain.events)
            #expect(outcome.imported == 6)
            #expect(outcome.quarantined.count == 4, "\(outcome.quarantined)")
            #expect(outcome.quarantined.values.allSatisfy { $0.hasPrefix("invalid-value: ") })
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason IS NULL AND stream_id = 'case-a'") == 2)
            let report = try await ChainVerifier(client: database.service, keyring: TestDatabase.keyring).verify()
            #expect(report.problems.isEmpty, "\(report.problems)")
            // The appender and the log go on as before.
            _ = try await appender.append(to: "case-local", expectedVersion: 0, events: [sampleEvent()])
        }
    }

    /// A hostile peer's event arrives in the same group commit as local staff writes: the
    /// writes commit whatever the event holds.
    @Test func localWritesCommitBesideAHostileImport() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            var chain = OriginChain("qingdao")
            try chain.add(to: "case-x", staff: "\u{0}", body: .object(["name": .string("\u{0}")]))
            let hostile = chain.events
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await appender.importEvents(hostile) }
                for index in 0..<20 {
                    group.addTask { _ = try await appender.append(to: "case-local-\(index)", expectedVersion: 0, events: [sampleEvent()]) }
                }
                try await group.waitForAll()
            }
            #expect(try await database.count("SELECT count(*) FROM events") == 21)
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason LIKE 'invalid-value:%'") == 1)
        }
    }

    /// A relay that leaves out an event's stream predecessor (it excluded the predecessor's
    /// origin, say) must not make this node quarantine the event when nodes that got the
    /// predecessor accept it (invariant 8): it waits until the predecessor is here.
    @Test func anEventWhosePredecessorIsMissingWaitsInsteadOfBeingQuarantined() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            var qingdao = OriginChain("qingdao")
            var weihai = OriginChain("weihai")
            try qingdao.add(to: "case-shared")
            try weihai.add(to: "case-shared", version: 2)
            try weihai.add(to: "case-w")
            let early = try await appender.importEvents(weihai.events)
            #expect(early.imported == 0 && early.deferred == 2 && early.quarantined.isEmpty, "\(early)")
            #expect(try await database.count("SELECT count(*) FROM events") == 0)
            let complete = try await appender.importEvents(qingdao.events + weihai.events)
            #expect(complete.imported == 3 && complete.quarantined.isEmpty, "\(complete)")
        }
    }

    /// Two peers bring different events with one id in the same group commit: one is
    /// refused, and the group's local writes commit.
    @Test func oneEventIDInTwoImportsOfAGroupFailsNoLocalWrite() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            var qingdao = OriginChain("qingdao")
            var weihai = OriginChain("weihai")
            let original = try qingdao.add(to: "case-q")
            let copy = try resigned(try weihai.add(to: "case-w"), key: weihai.key) { $0.eventId = original.envelope.eventId }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await appender.importEvents([original]) }
                group.addTask { _ = try? await appender.importEvents([copy]) }
                for index in 0..<10 {
                    group.addTask { _ = try await appender.append(to: "case-local-\(index)", expectedVersion: 0, events: [sampleEvent()]) }
                }
                try await group.waitForAll()
            }
            #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node = 'rizhao'") == 10)
            #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node <> 'rizhao'") == 1)
        }
    }

    /// A fork or a bad signature from one origin refuses that origin's events (and what
    /// follows them in their streams), never the other origins' in the same batch.
    @Test func aBadOriginStopsOnlyItsOwnChain() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            var qingdao = OriginChain("qingdao")
            var weihai = OriginChain("weihai")
            try qingdao.add(to: "case-q")
            let forgedEvent = try qingdao.add(to: "case-shared")
            try weihai.add(to: "case-w")
            try weihai.add(to: "case-w")
            let forged = try forgedEvent.tampered(signature: Array(repeating: 7, count: 64))
            let batch = [qingdao.events[0], forged, weihai.events[0], weihai.events[1]]
            let outcome = try await appender.importEvents(batch)
            #expect(outcome.imported == 2, "Weihai's events are imported")
            #expect(outcome.refused.keys.map(\.rawValue) == ["qingdao"])
            #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node = 'qingdao'") == 0, "nothing of the refused origin")

            // An event of another origin that follows the refused one in its stream waits for it.
            var weihaiMore = weihai
            try weihaiMore.add(to: "case-shared", version: 2)
            try weihaiMore.add(to: "case-w2")
            await #expect(throws: ImportError.self, "nothing could be imported: the refusal is thrown") {
                try await appender.importEvents([qingdao.events[0], forged] + Array(weihaiMore.events[2...]))
            }
            #expect(try await database.count("SELECT count(*) FROM events WHERE stream_id = 'case-shared'") == 0)

            // Once the real event arrives, everything imports in order.
            let healed = try await appender.importEvents(qingdao.events + Array(weihaiMore.events[2...]))
            #expect(healed.refused.isEmpty && healed.imported == 4, "\(healed)")
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason IS NULL") == 6)
        }
    }
}

import CaseDomain
import EventLog
import Federation
import Foundation
@testable import LocalPostgres
import TestSupport
import Testing

@Suite("The tongban CLI reports what and where, and exits non-zero on failure")
struct CommandLineTests {
    /// The `tongban` executable built beside this test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tongban").path

    static func tongban(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await onOwnThread { try ChildProcess.run([executable] + arguments, captureOutput: true) }
    }

    static func federationFile() throws -> String {
        let nodes = TestDatabase.nodeKeys.keys.sorted().enumerated().map { index, node in
            FederationFile.Node(id: node, name: node.rawValue, url: "http://127.0.0.1:\(8400 + index)",
                                publicKey: TestDatabase.key(node.rawValue).publicKeyBase64,
                                centres: [.init(id: CentreID(rawValue: "\(node)-municipal")!, name: "centre", level: "city")],
                                policy: CityPolicy(hardshipThreshold: 150_000, exemptGroups: ["minor"], defaultSubsidy: 100_000))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("federation-\(UUID()).json").path
        try FederationFile(name: "test", nodes: nodes).encoded().write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func verifyNamesTheBrokenEventAndExitsNonZero() async throws {
        try await withTestDatabase { database in
            try await VerifyTests.populate(database)
            let url = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)
            let federation = try Self.federationFile()
            let clean = try await Self.tongban(["verify", "--database-url", url, "--federation", federation])
            #expect(clean.status == 0, "verify on a clean log must pass: \(clean.output)")
            #expect(clean.output.contains("OK: 15 events"))
            try await VerifyTests.tamper(database, ["UPDATE events SET type = 'Forged' WHERE origin_node = 'rizhao' AND origin_seq = 3"])
            let broken = try await Self.tongban(["verify", "--database-url", url, "--federation", federation])
            #expect(broken.status == 2)
            #expect(broken.output.contains("BROKEN: origin rizhao seq 3"), "verify must name the altered event: \(broken.output)")
        }
    }

    /// The newest event deleted together with the node's own checkpoint of it: the chain
    /// alone shows nothing, a checkpoint file exported before does.
    @Test func verifyWithAnExportedCheckpointFileNamesADeletedNewestEvent() async throws {
        try await withTestDatabase { database in
            let appender = database.appender()
            for index in 0..<4 { _ = try await appender.append(to: "case-\(index)", expectedVersion: 0, events: [sampleEvent()]) }
            try await CheckpointStore(client: database.service, key: TestDatabase.key("rizhao"), keyring: TestDatabase.keyring).signOwnHead()
            let url = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)
            let federation = try Self.federationFile()
            let exported = try await Self.tongban(["checkpoint", "export", "--database-url", url])
            // The outcome holds standard error too (a log line, on a loaded machine): the export starts at its header.
            let text = try #require(exported.output.range(of: "tongban checkpoints v1\n").map { String(exported.output[$0.lowerBound...]) }, "\(exported.output)")
            #expect(exported.status == 0 && text.hasPrefix("tongban checkpoints v1\ncheckpoint rizhao 4 "), "\(exported.output)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID()).txt").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))

            try await VerifyTests.tamper(database, ["DELETE FROM events WHERE origin_node = 'rizhao' AND origin_seq = 4"])
            _ = try await database.superuser.query("DELETE FROM checkpoints")
            let alone = try await Self.tongban(["verify", "--database-url", url, "--federation", federation])
            #expect(alone.status == 0, "without the file nothing shows: \(alone.output)")
            let checked = try await Self.tongban(["verify", "--database-url", url, "--federation", federation, "--checkpoints", file])
            #expect(checked.status == 2)
            #expect(checked.output.contains("BROKEN: truncated: origin rizhao: the chain ends at seq 3, but checkpoint seq 4"), "\(checked.output)")

            try Data("tongban checkpoints v1\ncheckpoint rizhao four\n".utf8).write(to: URL(fileURLWithPath: file))
            let malformed = try await Self.tongban(["verify", "--database-url", url, "--federation", federation, "--checkpoints", file])
            #expect(malformed.status != 0 && malformed.output.contains("--checkpoints \(file): line 2:"), "\(malformed.output)")
        }
    }

    /// The operator's rotation: the change is written, the old key is refused from then on,
    /// the new one accepted, and the log still verifies.
    @Test func keysRotateWritesTheChangeAndTheOldKeyIsRefusedAfterwards() async throws {
        try await withTestDatabase { database in
            _ = try await database.appender().append(to: "case-a", expectedVersion: 0, events: [sampleEvent()])
            let url = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)
            let federation = try Self.federationFile()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotate-\(UUID())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let old = directory + "/rizhao.key", new = directory + "/rizhao-2.key"
            try TestDatabase.key("rizhao").write(to: old)
            let rotated = try await Self.tongban(["keys", "rotate", "--federation", federation, "--node", "rizhao", "--key", old, "--out", new, "--database-url", url])
            #expect(rotated.status == 0 && rotated.output.contains("key change written: rizhao seq 2"), "\(rotated.output)")
            #expect(rotated.output.contains("\"encryptionKey\""), "\(rotated.output)")
            let again = try await Self.tongban(["keys", "rotate", "--federation", federation, "--node", "rizhao", "--key", old, "--out", directory + "/x.key", "--database-url", url])
            #expect(again.status != 0 && again.output.contains("changed away from"), "the old key rotates nothing any more: \(again.output)")
            let stale = try await Self.tongban(["config", "check", "--federation", federation, "--node", "rizhao", "--key", old, "--database-url", url])
            #expect(stale.status == 1 && stale.output.contains("changed away from"), "\(stale.output)")
            let current = try await Self.tongban(["config", "check", "--federation", federation, "--node", "rizhao", "--key", new, "--database-url", url])
            #expect(current.output.contains("ok: --key \(new) is rizhao's current key (its chain changed to it)"), "\(current.output)")
            let verified = try await Self.tongban(["verify", "--database-url", url, "--federation", federation])
            #expect(verified.status == 0 && verified.output.contains("OK: 2 events"), "\(verified.output)")
        }
    }

    @Test func anUnreachableDatabaseIsNamed() async throws {
        let outcome = try await Self.tongban(["migrate", "--database-url", "postgres://tongban_owner@127.0.0.1:1/nowhere", "--schema-dir", TestCluster.repositoryRoot + "/schema"])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("cannot reach PostgreSQL at postgres://tongban_owner@127.0.0.1:1/nowhere"), "\(outcome.output)")
    }

    @Test func badInputIsNamed() async throws {
        let badURL = try await Self.tongban(["migrate", "--database-url", "mysql://x@y/z"])
        #expect(badURL.status != 0 && badURL.output.contains("invalid database URL"), "\(badURL.output)")
        let keyPath = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID())").path
        #expect(try await Self.tongban(["keys", "generate", "--node", "rizhao", "--out", keyPath]).status == 0)
        let again = try await Self.tongban(["keys", "generate", "--node", "rizhao", "--out", keyPath])
        #expect(again.status != 0 && again.output.contains("already exists"), "\(again.output)")
        let badFederation = FileManager.default.temporaryDirectory.appendingPathComponent("fed-\(UUID()).json").path
        try Data(#"{"name": "x", "nodes": [{"id": "rizhao", "name": "r", "url": "ftp://x", "publicKey": null, "centres": [], "policy": {"hardshipThreshold": 1, "exemptGroups": [], "decisionDays": 7, "lawyerAssignmentDays": 3, "materialsDays": 15, "countsWorkingDays": false, "holidays": [], "subsidyByCause": {}, "defaultSubsidy": 0}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: badFederation))
        let federation = try await Self.tongban(["verify", "--database-url", "postgres://u@127.0.0.1:1/d", "--federation", badFederation])
        #expect(federation.status != 0 && federation.output.contains("nodes[0].url"), "\(federation.output)")
        let badCase = try await Self.tongban(["audit", "case", "zhang", "--database-url", "postgres://u@127.0.0.1:1/d", "--federation", badFederation])
        #expect(badCase.status != 0 && badCase.output.contains("'zhang' is not a case id"), "\(badCase.output)")
    }

    @Test func anAuditOfAnUnknownCaseSaysSo() async throws {
        try await withTestDatabase { database in
            try await VerifyTests.populate(database)
            let url = database.cluster.url(user: "tongban_service", database: database.name)
            let unknown = try await Self.tongban(["audit", "case", UUID().uuidString, "--database-url", url, "--federation", try Self.federationFile()])
            #expect(unknown.status != 0 && unknown.output.contains("no case") && unknown.output.contains("in this node's log"), "\(unknown.output)")
        }
    }
}

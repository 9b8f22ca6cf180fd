import CaseDomain
import Casework
import EventLog
import Foundation
@testable import LocalPostgres
import NodeServer
import TestSupport
import Testing

/// `tongban keys generate --purpose token`, `token issue --token-key` and `token revoke` as
/// an operator runs them, against a served node.
@Suite("tongban token issue and revoke")
struct TokenCommandTests {
    typealias S = ServeCommandTests

    /// The `jti` that `tongban token issue` reports.
    static func jti(of outcome: ChildProcess.Outcome) throws -> String {
        let line = try #require(outcome.output.split(separator: "\n").first { $0.hasPrefix("jti ") }, "\(outcome.output)")
        return String(line.dropFirst(4).prefix { $0 != " " })
    }

    @Test func tokenRevokeRefusesATokenOrAPersonsTokensOnTheRunningNode() async throws {
        try await withTestDatabase { database in
            let (_, tokenKeyPath, port, federation, serve) = try await S.servableNode(database)
            let server = S.runInBackground(["/usr/bin/timeout", "--preserve-status", "-s", "INT", "120"] + serve)
            var healthy = false
            for _ in 0..<100 where !healthy {
                healthy = (try? await S.request("GET", "http://127.0.0.1:\(port)/health").0) == 200
                if !healthy { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(healthy, "the node should answer /health")
            func issue(_ staff: String) async throws -> (token: String, jti: String) {
                let issued = try await S.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", staff, "--token-key", tokenKeyPath])
                #expect(issued.status == 0, "\(issued.output)")
                return (S.issuedToken(issued), try Self.jti(of: issued))
            }
            func status(_ token: String) async throws -> Int { try await S.request("GET", "http://127.0.0.1:\(port)/v1/inbox", token: token).0 }
            let first = try await issue("李某"), second = try await issue("李某"), colleague = try await issue("王某")
            for token in [first, second, colleague] { #expect(try await status(token.token) == 200) }
            let url = database.cluster.url(user: LocalCluster.serviceRole, database: database.name)

            let revoked = try await S.tongban(["token", "revoke", "--database-url", url, "--jti", first.jti.uppercased()])
            #expect(revoked.status == 0 && revoked.output.contains("revoked token \(first.jti)"), "\(revoked.output)")
            #expect(try await status(first.token) == 401, "the node refuses the revoked token at once, without a restart")
            #expect(try await status(second.token) == 200)
            let again = try await S.tongban(["token", "revoke", "--database-url", url, "--jti", first.jti])
            #expect(again.status == 0 && again.output.contains("was already revoked"), "\(again.output)")

            let person = try await S.tongban(["token", "revoke", "--database-url", url, "--staff", "李某", "--centre", "qingdao-licang"])
            #expect(person.status == 0 && person.output.contains("revoked every token of 李某 at qingdao-licang"), "\(person.output)")
            #expect(try await status(second.token) == 401, "every token of the person is refused")
            #expect(try await status(colleague.token) == 200, "a colleague's is not")

            _ = try ChildProcess.run(["/usr/bin/pkill", "-INT", "-f", "serve --federation \(federation)"], captureOutput: false)
            #expect(try await server.value.status == 0)
        }
    }

    @Test func tokenRevokeNamesWhatIsMissingOrWrong() async throws {
        let url = "postgres://u@127.0.0.1:1/d"
        for (arguments, complaint) in [([String](), "say what to revoke"), (["--jti", "token-1"], "--jti 'token-1' is not a token id"),
                                       (["--staff", "李某"], "say what to revoke"), (["--staff", "李某", "--centre", "Licang"], "--centre 'Licang' is not a centre id"),
                                       (["--jti", UUID().uuidString, "--staff", "李某", "--centre", "qingdao-licang"], "not both")] {
            let outcome = try await S.tongban(["token", "revoke", "--database-url", url] + arguments)
            #expect(outcome.status != 0 && outcome.output.contains(complaint), "\(arguments): \(outcome.output)")
        }
    }

    @Test func anEventKeyNeverSignsOrVerifiesStaffTokens() async throws {
        let eventKey = S.temporary.appendingPathComponent("qingdao-\(UUID()).key").path
        let tokenKey = S.temporary.appendingPathComponent("qingdao-\(UUID()).token.key").path
        let rizhaoTokenKey = S.temporary.appendingPathComponent("rizhao-\(UUID()).token.key").path
        #expect(try await S.tongban(["keys", "generate", "--node", "qingdao", "--out", eventKey]).status == 0)
        let generated = try await S.tongban(["keys", "generate", "--node", "qingdao", "--purpose", "token", "--out", tokenKey])
        #expect(generated.status == 0 && generated.output.contains("kid:") && !generated.output.contains("publicKey"), "\(generated.output)")
        #expect(try await S.tongban(["keys", "generate", "--node", "rizhao", "--purpose", "token", "--out", rizhaoTokenKey]).status == 0)
        let federation = try S.federation(port: 1, keyPath: eventKey)

        let issueWithEventKey = try await S.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "x", "--token-key", eventKey])
        #expect(issueWithEventKey.status != 0 && issueWithEventKey.output.contains("is not a staff-token key file"), "\(issueWithEventKey.output)")
        let oldFlag = try await S.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "x", "--key", eventKey])
        #expect(oldFlag.status != 0, "token issue takes no event key: \(oldFlag.output)")
        let otherNode = try await S.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "x", "--token-key", rizhaoTokenKey])
        #expect(otherNode.status != 0 && otherNode.output.contains("is node rizhao's"), "\(otherNode.output)")
        let tooLong = try await S.tongban(["token", "issue", "--centre", "qingdao-licang", "--staff", "x", "--token-key", tokenKey, "--hours", "721"])
        #expect(tooLong.status != 0 && tooLong.output.contains("between 1 and 720"), "\(tooLong.output)")

        func serve(tokenKey: String) async throws -> ChildProcess.Outcome {
            try await S.tongban(["serve", "--federation", federation, "--node", "qingdao", "--key", eventKey, "--token-key", tokenKey,
                           "--database-url", "postgres://u@127.0.0.1:1/d", "--schema-dir", TestCluster.repositoryRoot + "/schema"])
        }
        let eventAsToken = try await serve(tokenKey: eventKey)
        #expect(eventAsToken.status != 0 && eventAsToken.output.contains("is not a staff-token key file"), "\(eventAsToken.output)")
        let rizhaos = try await serve(tokenKey: rizhaoTokenKey)
        #expect(rizhaos.status != 0 && rizhaos.output.contains("is node rizhao's token key, not qingdao's"), "\(rizhaos.output)")
        // The event key's bytes dressed as a token key file: still the event key.
        let disguised = S.temporary.appendingPathComponent("disguised-\(UUID()).token.key").path
        let secret = try String(contentsOfFile: eventKey, encoding: .utf8)
        try Data("tongban staff-token key for qingdao\n\(secret)".utf8).write(to: URL(fileURLWithPath: disguised))
        let reused = try await serve(tokenKey: disguised)
        #expect(reused.status != 0 && reused.output.contains("is the event key of node qingdao"), "\(reused.output)")
    }
}

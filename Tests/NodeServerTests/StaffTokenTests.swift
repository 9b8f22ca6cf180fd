import CaseDomain
import Casework
import Crypto
import EventLog
import Federation
import Foundation
import Hummingbird
import HummingbirdTesting
import NodeServer
import PostgresNIO
import TestSupport
import Testing

/// Keys with one purpose each: staff tokens are signed with the node's token key (named by
/// `kid`), never its event key, carry a `jti`, live a bounded time, and are refused — with
/// every page session signed in with them — once revoked; page sessions are server-side
/// and end on sign-out.
@Suite("Staff tokens and page sessions")
struct StaffTokenTests {
    typealias H = NodeHarness

    /// A JWT made by hand, as an attacker or another program would: `header` and `claims`
    /// as JSON, signed with `key`.
    static func handMade(header: [String: String], claims: [String: Any], signedWith key: Curve25519.Signing.PrivateKey) throws -> String {
        func encode(_ object: Any) throws -> String {
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let input = try encode(header) + "." + encode(claims)
        let signature = try key.signature(for: Data(input.utf8)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return input + "." + signature
    }

    /// The claims of a Licang staff token of node qingdao, issued `age` seconds ago, living `lifetime` seconds.
    static func claims(age: Double = 0, lifetime: Double = 3600, jti: String? = UUID().uuidString.lowercased()) -> [String: Any] {
        let issued = Date().timeIntervalSince1970.rounded(.down) - age
        var claims: [String: Any] = ["sub": "staff-1", "centre": "qingdao-licang", "role": "staff", "iss": "qingdao",
                                     "iat": issued, "exp": issued + lifetime]
        if let jti { claims["jti"] = jti }
        return claims
    }

    /// The status of a staff API read with `token`.
    static func status(_ node: H, token: String) async throws -> HTTPResponse.Status {
        try await node.send(.get, "/v1/inbox", headers: [.authorization: "Bearer \(token)"], body: nil).status
    }

    /// Signs in through the sign-in form with `token`: the answer and the session cookie's `name=value`.
    static func signIn(_ node: H, token: String) async throws -> (H.Answer, String?) {
        let form = try await StaffPagesTests.signInForm(node)
        let answer = try await node.send(.post, "/sign-in", headers: [.cookie: form.cookie, .contentType: "application/x-www-form-urlencoded"],
                                         body: ByteBuffer(string: "csrf=\(form.csrf)&token=\(token)"))
        let cookie = answer.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") }
        return (answer, cookie.map { String($0.prefix { $0 != ";" }) })
    }

    /// Whether the session cookie opens the inbox page (else it leads to sign-in).
    static func opensInbox(_ node: H, _ cookie: String) async throws -> Bool {
        let answer = try await node.send(.get, "/inbox", headers: [.cookie: cookie], body: nil)
        #expect(answer.status == .ok || (answer.status == .seeOther && answer.headers[.location] == "/sign-in"), "\(answer.status)")
        return answer.status == .ok
    }

    @Test func aStaffTokenMadeWithTheEventKeyIsRefused() async throws {
        try await H.run { node in
            let tokenKey = node.server.configuration.tokenKey
            let good = try Self.handMade(header: ["alg": "EdDSA", "typ": "JWT", "kid": tokenKey.kid], claims: Self.claims(), signedWith: tokenKey.privateKey)
            #expect(try await Self.status(node, token: good) == .ok, "a token made by hand with the token key is accepted: the forgeries below differ in the key alone")

            let eventKey = node.server.configuration.signingKey.privateKey
            let eventKid = StaffTokenKey(node: tokenKey.node, privateKey: eventKey).kid
            for (header, what) in [(["alg": "EdDSA", "typ": "JWT", "kid": tokenKey.kid], "naming the token key's kid"),
                                   (["alg": "EdDSA", "typ": "JWT"], "naming no kid, as tokens were before keys had one purpose"),
                                   (["alg": "EdDSA", "typ": "JWT", "kid": eventKid], "naming the event key's own kid")] {
                let forged = try Self.handMade(header: header, claims: Self.claims(), signedWith: eventKey)
                let answer = try await node.send(.get, "/v1/inbox", headers: [.authorization: "Bearer \(forged)"], body: nil)
                #expect(answer.status == .unauthorized && answer.problemType == "unauthorized", "a token signed with the event key, \(what): \(answer.json)")
                let (signIn, cookie) = try await Self.signIn(node, token: forged)
                #expect(signIn.status == .unauthorized && cookie == nil, "no page session with the event key's token, \(what)")
            }
        }
    }

    @Test func aKidMismatchIsRefused() async throws {
        try await H.run { node in
            let tokenKey = node.server.configuration.tokenKey
            for kid in ["tok-" + String(repeating: "0", count: 32), tokenKey.kid.uppercased(), ""] {
                let token = try Self.handMade(header: ["alg": "EdDSA", "typ": "JWT", "kid": kid], claims: Self.claims(), signedWith: tokenKey.privateKey)
                let answer = try await node.send(.get, "/v1/inbox", headers: [.authorization: "Bearer \(token)"], body: nil)
                #expect(answer.status == .unauthorized, "kid '\(kid)' is not the token key's, even with its signature: \(answer.json)")
            }
            let hs = try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": tokenKey.kid], claims: Self.claims(), signedWith: tokenKey.privateKey)
            #expect(try await Self.status(node, token: hs) == .unauthorized, "another algorithm is refused")
            // Another token key of the same node id: its own kid, its own signature, still not this node's.
            let other = await TokenAuthority(key: .generate(for: tokenKey.node))
            let foreign = try await other.issue(centre: H.licang, staff: "intruder", role: .staff, validity: .seconds(60))
            #expect(try await Self.status(node, token: foreign) == .unauthorized)
        }
    }

    @Test func anExpiredOverLongLivedOrIdlessTokenIsRefused() async throws {
        try await H.run { node in
            let key = node.server.configuration.tokenKey
            let header = ["alg": "EdDSA", "typ": "JWT", "kid": key.kid]
            let maximum = Double(TokenAuthority.maximumLifetime.components.seconds)
            let cases: [(claims: [String: Any], what: String)] = [
                (Self.claims(lifetime: maximum + 1), "a second longer than the maximum lifetime"),
                (Self.claims(lifetime: 10 * 365 * 86_400), "ten years"),
                (Self.claims(age: 7200, lifetime: 3600), "expired an hour ago"),
                (Self.claims(age: -3600, lifetime: 7200), "issued an hour in the future"),
                (Self.claims(lifetime: 0), "no lifetime at all"),
                (Self.claims(jti: nil), "no jti"),
                (Self.claims(jti: "token-1"), "a jti that is no UUID"),
                (Self.claims(jti: UUID().uuidString.uppercased()), "a jti in another spelling"),
            ]
            for (claims, what) in cases {
                let token = try Self.handMade(header: header, claims: claims, signedWith: key.privateKey)
                #expect(try await Self.status(node, token: token) == .unauthorized, "\(what) is refused")
            }
            #expect(try await Self.status(node, token: try Self.handMade(header: header, claims: Self.claims(lifetime: maximum), signedWith: key.privateKey)) == .ok,
                    "exactly the maximum lifetime is accepted")
            await #expect(throws: StaffTokenError.self, "issue refuses more than the maximum") {
                try await node.server.tokens.issue(centre: H.licang, staff: "s", role: .staff, validity: TokenAuthority.maximumLifetime + .seconds(1))
            }
            let expired = try await node.server.tokens.issue(centre: H.licang, staff: "s", role: .staff, validity: .seconds(60), now: .now.addingTimeInterval(-3600))
            #expect(try await Self.status(node, token: expired) == .unauthorized)
        }
    }

    @Test func signOutRevokesThePageSession() async throws {
        try await H.run { node in
            let token = try await node.server.tokens.issue(centre: H.licang, staff: "staff-1", role: .staff, validity: .seconds(12 * 3600))
            let (answer, signedIn) = try await Self.signIn(node, token: token)
            let cookie = try #require(signedIn, "\(answer.status)")
            let secret = String(cookie.dropFirst("tongban_staff=".count))
            #expect(!token.contains(secret) && secret.count == 64 && secret.allSatisfy(\.isHexDigit), "the cookie holds a session secret, not the token")
            let header = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") })
            #expect(header.contains("HttpOnly") && header.contains("SameSite=Strict") && !header.contains("Secure"), "plain http: no Secure: \(header)")
            // Seconds pass between the token and the cookie on a loaded machine: within two minutes of the mark.
            func maxAge(_ header: String) -> Int? {
                header.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.hasPrefix("Max-Age=") }.flatMap { Int($0.dropFirst("Max-Age=".count)) }
            }
            #expect(maxAge(header).map { (28_680...28_800).contains($0) } == true, "a 12-hour token's session lasts 8 hours: \(header)")
            let short = try #require(try await Self.signIn(node, token: try await node.token(H.licang)).0.headers[values: .setCookie].first { $0.hasPrefix("tongban_staff=") })
            #expect(maxAge(short).map { (3_480...3_600).contains($0) } == true, "an hour's token's session ends with the token: \(short)")
            #expect(try await node.database.count("SELECT count(*)::int FROM page_sessions") == 2)
            #expect(try await Self.opensInbox(node, cookie))

            let (_, inbox) = try await StaffPagesTests.page(node, "/inbox", cookie: cookie)
            let csrf = try StaffPagesTests.csrf(in: inbox)
            let forged = try await StaffPagesTests.post(node, "/sign-out", cookie: cookie, form: "csrf=\(String(repeating: "0", count: 64))")
            let stillOpen = try await Self.opensInbox(node, cookie)
            #expect(forged.status == .forbidden && stillOpen, "a sign-out without the session's CSRF token ends nothing")
            let out = try await StaffPagesTests.post(node, "/sign-out", cookie: cookie, form: "csrf=\(csrf)")
            #expect(out.status == .seeOther && out.headers[.location] == "/sign-in")
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("tongban_staff=;") && $0.contains("Max-Age=0") }, "the browser forgets the cookie")
            #expect(!(try await Self.opensInbox(node, cookie)), "the signed-out session's cookie, replayed, opens nothing")
            #expect(try await node.database.count("SELECT count(*)::int FROM page_sessions") == 1, "signing out deletes the session (the other stays)")
            #expect(try await Self.status(node, token: token) == .ok, "signing out ends the session, not the token")
        }
    }

    @Test func aSessionEndsWhenIdleOrPastItsEnd() async throws {
        try await H.run { node in
            let token = try await node.token(H.licang)
            let idle = try #require(try await Self.signIn(node, token: token).1)
            let old = try #require(try await Self.signIn(node, token: token).1)
            #expect(try await Self.opensInbox(node, idle))
            #expect(try await Self.opensInbox(node, old))
            let hash = { (cookie: String) in "'\\x" + SHA256.hash(data: Self.bytes(hex: String(cookie.dropFirst("tongban_staff=".count))))
                .map { String(format: "%02x", $0) }.joined() + "'" }
            _ = try await node.database.superuser.query(PostgresQuery(unsafeSQL: "UPDATE page_sessions SET last_seen_at = now() - interval '31 minutes', created_at = now() - interval '1 hour' WHERE session_hash = \(hash(idle))"))
            _ = try await node.database.superuser.query(PostgresQuery(unsafeSQL: "UPDATE page_sessions SET created_at = now() - interval '9 hours', last_seen_at = now() - interval '9 hours', expires_at = now() - interval '1 hour' WHERE session_hash = \(hash(old))"))
            #expect(!(try await Self.opensInbox(node, idle)), "30 minutes without a request end a session")
            #expect(!(try await Self.opensInbox(node, old)), "a session past its absolute end is over")
            #expect(!(try await Self.opensInbox(node, "tongban_staff=" + String(repeating: "a", count: 64))), "a made-up secret opens nothing")
        }
    }

    @Test func revokingATokenRefusesItAndEveryPageSessionMintedFromItAtOnce() async throws {
        try await H.run { node in
            let id = UUID()
            let token = try await node.server.tokens.issue(centre: H.licang, staff: "staff-1", role: .staff, validity: .seconds(3600), id: id)
            let other = try await node.token(H.licang)
            let first = try #require(try await Self.signIn(node, token: token).1)
            let second = try #require(try await Self.signIn(node, token: token).1)
            let unrelated = try #require(try await Self.signIn(node, token: other).1)
            #expect(try await Self.status(node, token: token) == .ok)

            let outcome = try await TokenRevocations(client: node.database.service).revoke(token: id.uuidString.lowercased())
            #expect(outcome.newlyRevoked && outcome.endedSessions == 2, "\(outcome)")
            #expect(try await Self.status(node, token: token) == .unauthorized, "the revoked token is refused by the running node")
            #expect(!(try await Self.opensInbox(node, first)), "so are its page sessions")
            #expect(!(try await Self.opensInbox(node, second)), "so are its page sessions")
            #expect(try await Self.signIn(node, token: token).1 == nil, "and no new session opens with it")
            #expect(try await Self.status(node, token: other) == .ok, "the same person's other token is not touched")
            #expect(try await Self.opensInbox(node, unrelated), "nor its session")
            #expect(try await TokenRevocations(client: node.database.service).revoke(token: id.uuidString.lowercased()).newlyRevoked == false)
        }
    }

    @Test func revokingAStaffMemberRefusesAllTheirTokensAndSessionsAndNoneIssuedLater() async throws {
        try await H.run { node in
            let tokens = [try await node.token(H.licang, staff: "李某"), try await node.token(H.licang, staff: "李某", role: .supervisor)]
            let colleague = try await node.token(H.licang, staff: "王某")
            let elsewhere = try await node.token(H.huancui, staff: "李某")
            let session = try #require(try await Self.signIn(node, token: tokens[0]).1)
            let now = Date()
            let outcome = try await TokenRevocations(client: node.database.service).revoke(staff: "李某", centre: H.licang, now: now)
            #expect(outcome.endedSessions == 1)
            for token in tokens { #expect(try await Self.status(node, token: token) == .unauthorized) }
            #expect(!(try await Self.opensInbox(node, session)))
            #expect(try await Self.status(node, token: colleague) == .ok, "a colleague's token is not touched")
            #expect(try await node.send(.get, "/v1/inbox", headers: [.authorization: "Bearer \(elsewhere)"], body: nil).status == .ok,
                    "the same name at another centre is someone else")
            let reissued = try await node.server.tokens.issue(centre: H.licang, staff: "李某", role: .staff, validity: .seconds(600), now: now.addingTimeInterval(1))
            #expect(try await Self.status(node, token: reissued) == .ok, "a token issued after the revocation is accepted")
        }
    }

    @Test func sessionCookiesAreSecureWhenTheNodeIsReachedOverHTTPS() async throws {
        try await withTestDatabase { database in
            let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
            var federation = try FederationFile.decode(data, source: "federation.example.json", requirePublicKeys: false)
            for index in federation.nodes.indices where federation.nodes[index].id.rawValue == "qingdao" {
                federation.nodes[index].url = "https://qingdao.example:8443"
            }
            let configuration = NodeServer.Configuration(federation: federation, signingKey: TestDatabase.key("qingdao"), clock: NodeClock(.fixed(H.now)),
                                                         expectedSchemaVersion: try Migrator(directory: TestCluster.repositoryRoot + "/schema").latestVersion)
            let server = await NodeServer(configuration: configuration, client: database.service, appender: database.appender(node: "qingdao"))
            try await Application(router: server.router()).test(.router) { client in
                let node = H(database: database, server: server, client: client)
                let form = try await node.send(.get, "/sign-in", headers: [:], body: nil)
                #expect(form.headers[values: .setCookie].allSatisfy { $0.contains("Secure") }, "\(form.headers[values: .setCookie])")
                let (answer, cookie) = try await Self.signIn(node, token: try await node.token(H.licang))
                #expect(cookie != nil && answer.headers[values: .setCookie].allSatisfy { $0.contains("Secure") && $0.contains("HttpOnly") },
                        "\(answer.headers[values: .setCookie])")
            }
        }
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

import AsyncHTTPClient
import CaseDomain
import EventLog
import Federation
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import TestSupport
import Testing

/// `tongban conformance` (issue 14): the suite passes against a real tongban node that
/// relays two other cities' events, and fails, naming the check, against a peer that answers
/// unsigned requests and against one that skips an origin its vector claims, and fails every
/// check without trapping against one that answers garbage. The peers are small HTTP servers
/// on loopback (the first two in front of the real node); the suite talks to them as to any peer.
@Suite("The conformance suite accepts a tongban node and names what a non-conforming peer breaks")
struct ConformanceTests {
    @Test func passesAgainstATongbanNodeAndFailsNamingTheCheckAgainstAPeerThatAnswersUnsignedOrSkipsAnOrigin() async throws {
        try await FederationHarness.run { federation in
            let (rizhao, qingdao, weihai) = (federation["rizhao"], federation["qingdao"], federation["weihai"])
            for (node, centre) in [(rizhao, "rizhao-wulian"), (weihai, "weihai-huancui"), (qingdao, "qingdao-licang")] {
                let (status, answer) = try await federation.call(node, "POST", "/v1/cases", as: CentreID(rawValue: centre)!, NodeHarness.application())
                try #require(status == 201, "submitting at \(centre): \(answer)")
            }
            // Qingdao relays Rizhao's and Weihai's events and has checkpointed its own chain and Rizhao's.
            try await FederationHarness.waitUntil("qingdao holds rizhao's and weihai's events and checkpoints of its own chain and rizhao's") {
                let origins = try await qingdao.database.count("SELECT count(DISTINCT origin_node)::int FROM events")
                let checkpointed = try await qingdao.database.count(
                    "SELECT count(DISTINCT origin)::int FROM checkpoints WHERE confirmed AND origin IN ('qingdao', 'rizhao')")
                return origins == 3 && checkpointed == 2
            }
            let member = TestDatabase.key("rizhao")

            let real = try await ConformanceSuite(federation: federation.federation, key: member, peerURL: qingdao.url).run()
            #expect(real.passed, "against a tongban node:\n\(real.lines.joined(separator: "\n"))")
            #expect(real.results.count == ConformanceCheck.allCases.count)
            #expect(real.lines.last == "conformance: \(ConformanceCheck.allCases.count) of \(ConformanceCheck.allCases.count) checks passed")
            #expect(real[.relaysThirdOrigins]?.reason.contains("weihai=") == true, "\(real[.relaysThirdOrigins]?.line ?? "")")

            // A peer that accepts anything: it forwards every request to Qingdao signed anew by Weihai.
            let relay = PeerClient(federation: federation.federation, key: TestDatabase.key("weihai"))
            let target = try #require(relay.peers.first { $0.id == qingdao.id })
            let lax = try await Self.withPeer { request in
                let answer = try await relay.send(request.method.rawValue, request.uri.path, to: target, body: try await Self.body(of: request))
                return Self.response(answer.status, answer.body)
            } run: { url in
                try await ConformanceSuite(federation: Self.federation(federation.federation, qingdaoAt: url), key: member, peerURL: url).run()
            }
            #expect(!lax.passed)
            #expect(lax[.signedRequestsRequired]?.line.hasPrefix("FAIL signed-requests-required: unsigned POST /v1/sync/pull answered 200") == true,
                    "\(lax.lines.joined(separator: "\n"))")
            for check in [ConformanceCheck.foreignKeyRefused, .misaddressedRefused, .replayRefused, .staleTimestampRefused] {
                #expect(lax[check]?.passed == false, "\(check.rawValue) against a peer that re-signs everything: \(lax[check]?.line ?? "missing")")
            }
            #expect(lax[.relaysThirdOrigins]?.passed == true, "\(lax[.relaysThirdOrigins]?.line ?? "")")

            // A peer that keeps Qingdao's signature checks but leaves Weihai's events out of its answers.
            let skipping = try await Self.withPeer { request in
                var forwarded = HTTPClientRequest(url: qingdao.url + request.uri.path)
                forwarded.method = .init(rawValue: request.method.rawValue)
                for name in [NodeRequestSignature.nodeHeader, NodeRequestSignature.timestampHeader, NodeRequestSignature.signatureHeader, "Content-Type"] {
                    if let value = HTTPField.Name(name).flatMap({ request.headers[$0] }) { forwarded.headers.add(name: name, value: value) }
                }
                forwarded.body = .bytes(try await request.body.collect(upTo: 1 << 20))
                let answer = try await Self.http.execute(forwarded, timeout: .seconds(30))
                let body = try await answer.body.collect(upTo: 64 << 20)
                guard answer.status == .ok, request.uri.path.hasSuffix("/pull"),
                      var page = try? JSONDecoder().decode(SyncMessages.PullResponse.self, from: Data(buffer: body)) else {
                    return Self.response(answer.status.code, body)
                }
                page.events.removeAll { (try? $0.signedEvent())?.envelope.originNode == weihai.id }
                return Self.response(200, ByteBuffer(data: try page.encoded()))
            } run: { url in
                try await ConformanceSuite(federation: Self.federation(federation.federation, qingdaoAt: url), key: member, peerURL: url).run()
            }
            #expect(!skipping.passed)
            let relays = try #require(skipping[.relaysThirdOrigins])
            #expect(relays.line.hasPrefix("FAIL relays-third-origins: the peer's vector claims weihai="), "\(skipping.lines.joined(separator: "\n"))")
            #expect(skipping[.signedRequestsRequired]?.passed == true && skipping[.replayRefused]?.passed == true,
                    "the skipping peer keeps Qingdao's signature checks:\n\(skipping.lines.joined(separator: "\n"))")
            #expect(skipping.lines.last?.hasPrefix("conformance: ") == true)

            // A peer whose answers are no pull pages at all: every check fails with a reason, nothing traps.
            let garbled = try await Self.withPeer { _ in
                Self.response(200, ByteBuffer(string: #"{"events":[{"envelope":"\u0000","hash":7}],"more":"yes","vector":{"Q":-1}}"#))
            } run: { url in
                try await ConformanceSuite(federation: Self.federation(federation.federation, qingdaoAt: url), key: member, peerURL: url,
                                           checkpointWait: .seconds(1)).run()
            }
            #expect(garbled.results.allSatisfy { !$0.passed }, "\(garbled.lines.joined(separator: "\n"))")
            #expect(garbled[.originOrder]?.reason.contains("not a page of events") == true, "\(garbled[.originOrder]?.line ?? "")")
            #expect(garbled.lines.last == "conformance: 0 of \(ConformanceCheck.allCases.count) checks passed")
        }
    }

    @Test func refusesToStartAgainstAPeerItCannotNameOrReachAsTheFederationSays() throws {
        let federation = FederationFile(name: "test", nodes: ["rizhao", "qingdao"].map { id in
            FederationFile.Node(id: NodeID(rawValue: id)!, name: id, url: "https://\(id).example.org/", publicKey: TestDatabase.key(id).publicKeyBase64,
                                centres: [.init(id: CentreID(rawValue: "\(id)-licang")!, name: id, level: "city")],
                                policy: CityPolicy(hardshipThreshold: 1, exemptGroups: [], defaultSubsidy: 0))
        })
        let rizhao = TestDatabase.key("rizhao")
        #expect(throws: ConformanceSetupError.unknownPeer(url: "https://weihai.example.org", known: ["rizhao https://rizhao.example.org/", "qingdao https://qingdao.example.org/"])) {
            try ConformanceSuite(federation: federation, key: rizhao, peerURL: "https://weihai.example.org")
        }
        #expect(throws: ConformanceSetupError.peerIsSigner(rizhao.node)) {
            try ConformanceSuite(federation: federation, key: rizhao, peerURL: "HTTPS://rizhao.example.org")
        }
        #expect(throws: ConformanceSetupError.transport(url: "https://qingdao.example.org/", withCA: false)) {
            try ConformanceSuite(federation: federation, key: rizhao, peerURL: "https://qingdao.example.org")
        }
        #expect(throws: ConformanceSetupError.notAMember(NodeID(rawValue: "weihai")!)) {
            try ConformanceSuite(federation: federation, key: TestDatabase.key("weihai"), peerURL: "https://qingdao.example.org")
        }
    }

    /// `federation` with Qingdao at `url` (the peer in front of it).
    static func federation(_ federation: FederationFile, qingdaoAt url: String) -> FederationFile {
        var changed = federation
        for index in changed.nodes.indices where changed.nodes[index].id.rawValue == "qingdao" { changed.nodes[index].url = url }
        return changed
    }

    /// Serves `/v1/sync/pull`, `/notify` and `/status` with `answer` on a loopback port while
    /// `body` runs against its URL.
    static func withPeer<T: Sendable>(_ answer: @escaping @Sendable (Request) async throws -> Response,
                                      run body: (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/sync/pull") { request, _ in try await answer(request) }
        router.post("/v1/sync/notify") { request, _ in try await answer(request) }
        router.get("/v1/sync/status") { request, _ in try await answer(request) }
        let port = Int.random(in: 20_000..<30_000)
        var logger = Logger(label: "conformance-peer")
        logger.logLevel = .critical
        let peer = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let server = Task { try await peer.runService() }
        defer { server.cancel() }
        try await HostilePeerTests.waitUntilListening(port: port)
        return try await body("http://127.0.0.1:\(port)")
    }

    static func body(of request: Request) async throws -> Data {
        Data(buffer: try await request.body.collect(upTo: 1 << 20))
    }

    static func response(_ status: UInt, _ body: ByteBuffer) -> Response {
        Response(status: .init(code: Int(status)), headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
}

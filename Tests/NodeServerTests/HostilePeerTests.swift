import CaseDomain
import EventLog
import Federation
import Foundation
import Hummingbird
import Logging
import NIOCore
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The sync protocol against a hostile peer: a fake Qingdao whose pull answers are
/// scripted — malformed, oversized, redirecting, with impossible vectors, more events than
/// asked, events no node could write. The node must import what is sound, refuse the
/// rest with a reason in its peer status, and never trap (issue 13).
@Suite("A hostile peer's pull answers cannot stop or poison a node")
struct HostilePeerTests {
    /// What the fake peer answers to the next pull.
    actor Script {
        private var answer: @Sendable () -> Response = { Response(status: .ok) }
        /// Pulls answered so far.
        private(set) var pulls = 0
        func set(_ answer: @escaping @Sendable () -> Response) { self.answer = answer }
        func next() -> Response {
            pulls += 1
            return answer()
        }
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func page(_ events: [SignedEvent], vector: String = #"{"qingdao":1}"#, more: Bool = false) -> Response {
        let wire = events.map { SyncMessages.WireEvent($0) }
        let items = wire.map { #"{"envelope":"\#($0.envelope)","hash":"\#($0.hash)","signature":"\#($0.signature)"}"# }.joined(separator: ",")
        return json(#"{"events":[\#(items)],"more":\#(more),"vector":\#(vector)}"#)
    }

    /// A correctly chained and signed event of `origin` (Qingdao unless named).
    static func qingdaoEvent(seq: Int64, prev: EventHash, stream: String, body: JSONValue, origin: String = "qingdao") throws -> SignedEvent {
        let envelope = EventEnvelope(
            eventId: .version7(at: Timestamp(Date())), originNode: NodeID(rawValue: origin)!, originSeq: seq, streamId: stream, streamVersion: 1,
            type: "TestEventRecorded", schemaVersion: 1, recordedAt: Timestamp(Date()),
            actor: Actor(centre: CentreID(rawValue: "\(origin)-licang")!, staff: "peer"), body: body, prevHash: prev)
        return try SignedEvent(signing: envelope, with: TestDatabase.key(origin))
    }

    static func waitUntilListening(port: Int) async throws {
        for _ in 0..<100 {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/")!)
            request.timeoutInterval = 1
            if (try? await URLSession.shared.data(for: request)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the fake peer did not start")
    }

    @Test func everyHostileAnswerIsRefusedWithAReasonAndTheNodeGoesOn() async throws {
        let script = Script()
        let router = Router()
        router.post("/v1/sync/pull") { _, _ in await script.next() }
        let port = Int.random(in: 20_000..<30_000)
        let fake = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: Logger(label: "fake-peer"))
        let server = Task { try await fake.runService() }
        defer { server.cancel() }
        try await Self.waitUntilListening(port: port)
        try await withTestDatabase { database in
            var logger = Logger(label: "hostile-peer-test")
            logger.logLevel = .critical
            let federation = FederationFile(name: "test", nodes: ["rizhao", "qingdao"].map { id in
                FederationFile.Node(id: NodeID(rawValue: id)!, name: id, url: id == "qingdao" ? "http://127.0.0.1:\(port)" : "http://127.0.0.1:1",
                                    publicKey: TestDatabase.key(id).publicKeyBase64, centres: [.init(id: CentreID(rawValue: "\(id)-licang")!, name: id, level: "city")],
                                    policy: CityPolicy(hardshipThreshold: 1, exemptGroups: [], defaultSubsidy: 0))
            })
            let appender = database.appender()
            let worker = SyncWorker(federation: federation, key: TestDatabase.key("rizhao"), appender: appender,
                                    reader: EventReader(client: database.service), notifier: LogNotifier(client: database.service, logger: logger),
                                    batchSize: 3, logger: logger)
            let first = try Self.qingdaoEvent(seq: 1, prev: .genesis, stream: "case-q1", body: ["note": "sound"])
            let poisoned = try Self.qingdaoEvent(seq: 2, prev: first.hash, stream: "case-q2", body: ["lawyer": "\u{0}x"])
            let hostile: [(String, @Sendable () -> Response)] = [
                ("a redirect", { Response(status: .found, headers: [.location: "http://127.0.0.1:1/v1/sync/pull"]) }),
                ("not JSON", { Self.json("{\"events\": [") }),
                ("a body over the answer limit", {
                    Response(status: .ok, headers: [.contentType: "application/json"],
                             body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: " "), count: PeerClient.maximumAnswerBytes + 1)))
                }),
                ("a vector past any sequence", { Self.page([first], vector: #"{"qingdao":9223372036854775807,"weihai":9223372036854775807}"#) }),
                ("a vector with a bad node id", { Self.page([first], vector: #"{"Qingdao!":1}"#) }),
                ("more events than asked for", { Self.page([first, first, first, first]) }),
                ("an envelope that is not base64", { Self.json(#"{"events":[{"envelope":"%%%","hash":"00","signature":"AA"}],"more":false,"vector":{}}"#) }),
                ("a 500", { Response(status: .internalServerError) }),
            ]
            for (name, answer) in hostile {
                await script.set(answer)
                let pulls = await script.pulls
                #expect(await worker.syncOnce() == 0, "\(name)")
                #expect(await script.pulls > pulls, "\(name) was answered")
                let status = await worker.peerStatus.first { $0.node == "qingdao" }
                #expect(status?.lastError?.isEmpty == false, "\(name) leaves a reason in the peer status")
                #expect(try await database.count("SELECT count(*) FROM events") == 0, "\(name) writes nothing")
            }
            // A sound event and one no node could write: the first is imported, the second kept in quarantine.
            await script.set { Self.page([first, poisoned], vector: #"{"qingdao":2}"#) }
            #expect(await worker.syncOnce() == 2)
            #expect(try await database.count("SELECT count(*) FROM events WHERE quarantine_reason LIKE 'invalid-value:%'") == 1)
            let status = await worker.peerStatus.first { $0.node == "qingdao" }
            #expect(status?.lastError == nil && status?.lagEvents == 0)

            // Qingdao relays a fork of its own first event beside Weihai's: Weihai's imports,
            // the fork is named, and nothing of it is written.
            let fork = try Self.qingdaoEvent(seq: 1, prev: .genesis, stream: "case-q9", body: ["note": "rewritten"])
            let weihai = try Self.qingdaoEvent(seq: 1, prev: .genesis, stream: "case-w1", body: ["note": "relayed"], origin: "weihai")
            await script.set { Self.page([fork, weihai], vector: #"{"qingdao":2,"weihai":1}"#, more: true) }
            #expect(await worker.syncOnce() == 1)
            #expect(await worker.peerStatus.first { $0.node == "qingdao" }?.lastError?.contains("qingdao seq 1") == true)
            #expect(try await database.count("SELECT count(*) FROM events WHERE origin_node = 'weihai'") == 1)

            // A peer that ignores `exclude` and keeps offering only the refused fork, with
            // more to come, cannot make the worker pull forever.
            await script.set { Self.page([fork], vector: #"{"qingdao":2}"#, more: true) }
            let pulls = await script.pulls
            #expect(await worker.syncOnce() == 0)
            let asked = await script.pulls - pulls
            #expect(asked <= 4, "the round ends once a page brings nothing new (with one page fetched ahead): \(asked) pulls")
        }
    }
}

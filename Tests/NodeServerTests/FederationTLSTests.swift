import CaseDomain
import Casework
import Federation
import Foundation
import NodeServer
import Testing

/// Three nodes over https with certificates from the federation's CA: a node whose
/// certificate another CA issued is refused by its peers both ways, and plain http reaches
/// no TLS node.
@Suite("TLS between city nodes", .serialized)
struct FederationTLSTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!

    @Test func aNodeWithACertificateFromAnotherCAIsRefusedByItsPeers() async throws {
        let otherCA = try CertificateAuthority.generate(name: "federation test CA")
        let rogue = try otherCA.issue(for: NodeID(rawValue: "weihai")!, hosts: ["127.0.0.1"])
        try await F.run(transport: .https, certificates: ["weihai": rogue], trusting: [otherCA]) { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let (atRizhao, fromRizhao) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian, NodeHarness.application())
            #expect(atRizhao == 201, "\(fromRizhao)")
            let (atWeihai, fromWeihai) = try await federation.call(weihai, "POST", "/v1/cases", as: Self.huancui, NodeHarness.application())
            #expect(atWeihai == 201, "weihai serves its own staff: \(fromWeihai)")

            try await F.waitUntil("qingdao holds rizhao's events") {
                try await federation.logs()[qingdao.id]?.contains { $0.hasPrefix("rizhao/") } == true
            }
            // Several sync rounds (every 2 s, and at once on notification) later:
            try await Task.sleep(for: .seconds(5))
            let logs = try await federation.logs()
            #expect(logs[weihai.id]?.contains { $0.hasPrefix("rizhao/") } == false, "weihai's pulls are refused: its client certificate is not the federation's")
            for peer in [rizhao, qingdao] {
                #expect(logs[peer.id]?.contains { $0.hasPrefix("weihai/") } == false, "\(peer.id) never imports from a node it cannot verify")
                let status = try #require(await peer.running.syncWorker?.peerStatus.first { $0.node == "weihai" })
                #expect(status.lastContact == nil && status.lastError != nil, "\(peer.id)'s view of weihai: \(status)")
            }
            let weihaisView = try #require(await weihai.running.syncWorker?.peerStatus)
            #expect(weihaisView.allSatisfy { $0.lastContact == nil && $0.lastError != nil }, "weihai reaches no peer: \(weihaisView)")
        }
    }

    @Test func plainHTTPToATLSNodeFails() async throws {
        try await F.run(cities: ["rizhao", "qingdao"], transport: .https) { federation in
            let qingdao = federation["qingdao"]
            #expect(qingdao.url.hasPrefix("https://"))
            let plain = "http://" + qingdao.url.dropFirst("https://".count) + "/health"
            await #expect(throws: (any Error).self, "the TLS listener answers no plain-http request") {
                try await federation.request(url: plain, "GET")
            }
            #expect(try await federation.request(qingdao, "GET", "/health").0 == 200, "and still serves https after it")
            let (status, answer) = try await federation.call(qingdao, "GET", "/v1/inbox", as: CentreID(rawValue: "qingdao-licang")!)
            #expect(status == 200, "the staff API is on the same listener: \(answer)")
            let (page, _) = try await federation.request(qingdao, "GET", "/sign-in")
            #expect(page == 200, "and so are the staff pages")
            #expect(await qingdao.running.server.configuration.isTLS)
        }
    }
}

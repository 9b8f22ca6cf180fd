import CaseDomain
import EventLog
import Federation
import Foundation
import Testing

/// The federation's TLS material as `serve`, `config check` and `tongban dev --tls` read it.
@Suite("TLS material and transport policy")
struct TLSMaterialTests {
    static let qingdao = NodeID(rawValue: "qingdao")!
    static let url = "https://qingdao.tongban.example:8401"

    static func pem(_ text: String, _ source: String) -> FederationTLS.PEM { .init(text, source: source) }

    static func problems(_ findings: [CertificateCheck.Finding]) -> [String] {
        findings.compactMap { if case .problem(let line) = $0 { line } else { nil } }
    }

    static func check(_ issued: CertificateAuthority.Issued, ca: CertificateAuthority, url: String = url) throws -> [String] {
        problems(CertificateCheck.findings(certificate: pem(issued.certificatePEM, "--tls-cert node.pem"),
                                           ca: pem(try ca.certificatePEM(), "--tls-ca ca.pem"), url: url))
    }

    @Test func configCheckPassesACertificateOfTheCAForTheNodesHost() throws {
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let issued = try ca.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example", "127.0.0.1"])
        #expect(try Self.check(issued, ca: ca) == [])
        #expect(try Self.check(issued, ca: ca, url: "https://127.0.0.1:8401") == [], "an IP address matches the certificate's IP name")
        let wildcard = try ca.issue(for: Self.qingdao, hosts: ["*.tongban.example"])
        #expect(try Self.check(wildcard, ca: ca) == [], "one wildcard label matches")
    }

    @Test func configCheckReportsAnExpiredOrSoonExpiringCertificate() throws {
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let expired = try ca.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"], now: Date() - 400 * 86_400, days: 365)
        let expiredProblems = try Self.check(expired, ca: ca)
        #expect(expiredProblems.count == 1 && expiredProblems[0].contains("expired on"), "\(expiredProblems)")
        let soon = try ca.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"], days: 20)
        let soonProblems = try Self.check(soon, ca: ca)
        #expect(soonProblems.count == 1 && soonProblems[0].contains("expires on") && soonProblems[0].contains("renew"), "\(soonProblems)")
        #expect(try Self.check(try ca.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"], days: 40), ca: ca) == [])
        let oldCA = try CertificateAuthority.generate(name: "old CA", days: 10)
        let byOldCA = try Self.check(try oldCA.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"]), ca: oldCA)
        #expect(byOldCA.count == 1 && byOldCA[0].contains("--tls-ca ca.pem") && byOldCA[0].contains("expires on"), "the CA's own expiry: \(byOldCA)")
    }

    @Test func configCheckReportsACertificateThatDoesNotMatchTheNodesURL() throws {
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let issued = try ca.issue(for: Self.qingdao, hosts: ["rizhao.tongban.example", "127.0.0.2"])
        let found = try Self.check(issued, ca: ca)
        #expect(found.count == 1 && found[0].contains("does not match the node's url \(Self.url)") && found[0].contains("rizhao.tongban.example"), "\(found)")
        #expect(try Self.check(issued, ca: ca, url: "https://127.0.0.1:8401").count == 1, "127.0.0.2 is not 127.0.0.1")
        let nested = try ca.issue(for: Self.qingdao, hosts: ["*.example"])
        #expect(try Self.check(nested, ca: ca).count == 1, "a wildcard covers one label only")
    }

    @Test func configCheckReportsACertificateOfAnotherCA() throws {
        let federationCA = try CertificateAuthority.generate(name: "federation CA")
        let otherCA = try CertificateAuthority.generate(name: "federation CA")
        let found = try Self.check(try otherCA.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"]), ca: federationCA)
        #expect(found.count == 1 && found[0].contains("is not issued by the federation's CA"), "a CA of the same name but another key: \(found)")
    }

    @Test func aCertificateAndAKeyThatDoNotBelongTogetherAreRefused() throws {
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let one = try ca.issue(for: Self.qingdao, hosts: ["127.0.0.1"]), other = try ca.issue(for: Self.qingdao, hosts: ["127.0.0.1"])
        let caPEM = Self.pem(try ca.certificatePEM(), "--tls-ca ca.pem")
        #expect(try FederationTLS(ca: caPEM, certificate: Self.pem(one.certificatePEM, "--tls-cert a.pem"), key: Self.pem(one.keyPEM, "--tls-key a.key")).identity != nil)
        #expect(throws: TLSMaterialError.self) {
            try FederationTLS(ca: caPEM, certificate: Self.pem(one.certificatePEM, "--tls-cert a.pem"), key: Self.pem(other.keyPEM, "--tls-key b.key"))
        }
        #expect(throws: TLSMaterialError.incomplete(present: "--tls-cert a.pem", missing: "a private key")) {
            try FederationTLS(ca: caPEM, certificate: Self.pem(one.certificatePEM, "--tls-cert a.pem"))
        }
        #expect(throws: TLSMaterialError.noCertificate(source: "--tls-ca key.pem")) {
            try FederationTLS(ca: Self.pem(one.keyPEM, "--tls-ca key.pem"))
        }
    }

    static func federation(scheme: String) throws -> FederationFile {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/federation.example.json").path
        var file = try FederationFile.load(path: path, requirePublicKeys: false)
        for index in file.nodes.indices { file.nodes[index].url = "\(scheme)://\(file.nodes[index].id).tongban.example" }
        return file
    }

    @Test func serveRefusesANonLoopbackAddressWithoutTLSUnlessToldInsecureHTTP() throws {
        let plain = try Self.federation(scheme: "http")
        for host in ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"] {
            #expect(TransportPolicy.problem(host: host, tls: nil, insecureHTTP: false, federation: plain, path: "f.json") == nil, "\(host) is loopback")
        }
        for host in ["0.0.0.0", "::", "192.0.2.7", "qingdao.tongban.example", "128.0.0.1"] {
            let problem = TransportPolicy.problem(host: host, tls: nil, insecureHTTP: false, federation: plain, path: "f.json")
            #expect(problem?.contains("--host \(host) is not a loopback address") == true, "\(host): \(problem ?? "accepted")")
            #expect(TransportPolicy.problem(host: host, tls: nil, insecureHTTP: true, federation: plain, path: "f.json") == nil, "\(host) with --insecure-http")
        }
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let issued = try ca.issue(for: Self.qingdao, hosts: ["qingdao.tongban.example"])
        let tls = try FederationTLS(ca: Self.pem(try ca.certificatePEM(), "ca"), certificate: Self.pem(issued.certificatePEM, "cert"), key: Self.pem(issued.keyPEM, "key"))
        let secured = try Self.federation(scheme: "https")
        #expect(TransportPolicy.problem(host: "0.0.0.0", tls: tls, insecureHTTP: false, federation: secured, path: "f.json") == nil)
        let mixed = TransportPolicy.problem(host: "0.0.0.0", tls: tls, insecureHTTP: false, federation: plain, path: "f.json")
        #expect(mixed?.contains("nodes[qingdao].url http://qingdao.tongban.example") == true && mixed?.contains("is not https") == true, "\(mixed ?? "accepted")")
        let unverifiable = TransportPolicy.problem(host: "127.0.0.1", tls: nil, insecureHTTP: false, federation: secured, path: "f.json")
        #expect(unverifiable?.contains("pass --tls-ca") == true, "https peers need the federation's CA: \(unverifiable ?? "accepted")")
    }

    @Test func aPeerClientWithTheFederationsCANeverSpeaksPlainHTTP() async throws {
        let ca = try CertificateAuthority.generate(name: "federation CA")
        let tls = try FederationTLS(ca: Self.pem(try ca.certificatePEM(), "ca"))
        var federation = try Self.federation(scheme: "http")
        federation.nodes = federation.nodes.map { var node = $0; node.url = node.id == Self.qingdao ? "http://127.0.0.1:1" : node.url; return node }
        let client = PeerClient(federation: federation, key: NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!), tls: tls)
        let qingdao = try #require(client.peers.first { $0.id == Self.qingdao })
        await #expect(throws: PeerTransportError.self) { try await client.send("GET", "/health", to: qingdao) }
        let plain = PeerClient(federation: try Self.federation(scheme: "https"), key: NodeSigningKey.generate(for: NodeID(rawValue: "rizhao")!))
        await #expect(throws: PeerTransportError.self, "an https peer without the CA to verify it") {
            try await plain.send("GET", "/health", to: try #require(plain.peers.first))
        }
    }
}

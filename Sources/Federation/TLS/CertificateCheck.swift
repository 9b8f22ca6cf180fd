import Foundation
import SwiftASN1
import X509

/// What `tongban config check` says about a node's TLS certificate before `serve` runs on it:
/// expired or expiring soon, not naming the host of the node's URL, not for both serving and
/// calling peers, not issued by the federation's CA. (Whether the key is the certificate's,
/// ``FederationTLS`` checks when it loads them.)
public enum CertificateCheck {
    /// One line of the report.
    public enum Finding: Sendable, Equatable {
        case ok(String)
        case problem(String)
    }

    /// A certificate that expires within this many days is reported: renew it before then.
    public static let renewalDays = 30

    /// The findings for the node certificate in `certificate` (its chain after it), with the
    /// federation's `ca` and the node's `url` when given, at `now`.
    public static func findings(certificate: FederationTLS.PEM, ca: FederationTLS.PEM?, url: String?, now: Date = Date()) -> [Finding] {
        let chain: [Certificate]
        do {
            chain = try certificates(in: certificate)
        } catch {
            return [.problem("\(certificate.source): no readable PEM certificate in it (\(error))")]
        }
        let leaf = chain[0]
        var findings = [validity(of: leaf, named: "\(certificate.source) (\(leaf.subject))", now: now)]
        if let url { findings.append(names(of: leaf, source: certificate.source, url: url)) }
        findings.append(usages(of: leaf, source: certificate.source))
        if let ca {
            do {
                let roots = try certificates(in: ca)
                findings += roots.map { validity(of: $0, named: "\(ca.source) (\($0.subject))", now: now) }
                findings.append(issued(leaf, chain: Array(chain.dropFirst()), by: roots, certificate: certificate.source, ca: ca.source))
            } catch {
                findings.append(.problem("\(ca.source): no readable PEM certificate in it (\(error))"))
            }
        }
        return findings
    }

    private static func certificates(in pem: FederationTLS.PEM) throws -> [Certificate] {
        let documents = try PEMDocument.parseMultiple(pemString: String(decoding: pem.bytes, as: UTF8.self))
        let certificates = try documents.filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
        guard !certificates.isEmpty else { throw CertificateCheckError.noCertificate }
        return certificates
    }

    private static func validity(of certificate: Certificate, named name: String, now: Date) -> Finding {
        let until = certificate.notValidAfter.formatted(.iso8601)
        if now >= certificate.notValidAfter { return .problem("\(name) expired on \(until)") }
        if now < certificate.notValidBefore { return .problem("\(name) is not valid before \(certificate.notValidBefore.formatted(.iso8601))") }
        let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
        if days < renewalDays { return .problem("\(name) expires on \(until), in \(days) day(s): renew it") }
        return .ok("\(name) is valid until \(until) (\(days) days)")
    }

    private static func names(of certificate: Certificate, source: String, url: String) -> Finding {
        guard let host = HostAddress.of(url: url) else { return .problem("the node's url '\(url)' names no host to check \(source) against") }
        let names = (try? certificate.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
        let matches = names.contains { name in
            switch (name, host) {
            case (.ipAddress(let octets), .ip(let bytes)): Array(octets.bytes) == bytes
            case (.dnsName(let pattern), .name(let hostName)): matchesDNS(pattern.lowercased(), hostName)
            default: false
            }
        }
        guard matches else {
            let listed = names.map { "\($0)" }.joined(separator: ", ")
            return .problem("\(source) does not match the node's url \(url): it names \(listed.isEmpty ? "no host (no subjectAltName)" : listed)")
        }
        return .ok("\(source) names the host of \(url)")
    }

    /// A DNS name against a certificate's name, which may start with one `*.` label.
    private static func matchesDNS(_ pattern: String, _ host: String) -> Bool {
        guard pattern.hasPrefix("*.") else { return pattern == host }
        guard let dot = host.firstIndex(of: ".") else { return false }
        return host[dot...] == pattern.dropFirst()
    }

    private static func usages(of certificate: Certificate, source: String) -> Finding {
        guard let usages = try? certificate.extensions.extendedKeyUsage else {
            return .ok("\(source) is not restricted to some purposes")
        }
        let missing = [("serverAuth", ExtendedKeyUsage.Usage.serverAuth), ("clientAuth", .clientAuth)].filter { !usages.contains($0.1) }
        guard missing.isEmpty else {
            return .problem("\(source) lacks the extended key usage \(missing.map(\.0).joined(separator: " and ")): a node's certificate serves its listener and is presented to the peers it calls")
        }
        return .ok("\(source) serves and calls peers (serverAuth, clientAuth)")
    }

    /// Walks from `leaf` up `chain` until a certificate of `roots` signed the last one.
    private static func issued(_ leaf: Certificate, chain: [Certificate], by roots: [Certificate], certificate: String, ca: String) -> Finding {
        var current = leaf
        for _ in 0...chain.count {
            if roots.contains(where: { signed(current, by: $0) }) { return .ok("\(certificate) is issued by the federation's CA (\(ca))") }
            guard let next = chain.first(where: { signed(current, by: $0) }) else { break }
            current = next
        }
        return .problem("\(certificate) is not issued by the federation's CA (\(ca)): its peers would refuse it (issuer \(current.issuer))")
    }

    private static func signed(_ certificate: Certificate, by issuer: Certificate) -> Bool {
        certificate.issuer == issuer.subject && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}

private enum CertificateCheckError: Error, CustomStringConvertible {
    case noCertificate
    var description: String { "no -----BEGIN CERTIFICATE----- block" }
}

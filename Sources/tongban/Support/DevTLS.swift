import ArgumentParser
import CaseDomain
import Federation
import Foundation

/// `tongban dev --tls`: a private CA kept in `directory` (`ca.pem`, `ca-key.pem`), reused by
/// later runs so that a browser told to trust it once keeps trusting it, and a certificate
/// for each node on 127.0.0.1 and localhost, issued afresh on every run.
struct DevTLS {
    let directory: String
    let authority: CertificateAuthority

    /// The CA bundle peers and clients verify the nodes against.
    var caPath: String { directory + "/ca.pem" }
    private var caKeyPath: String { directory + "/ca-key.pem" }

    /// The CA of an earlier run unless it is unreadable or expires within 30 days; else a new one.
    init(directory: String, say: (String) -> Void) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kept = (try? String(contentsOfFile: directory + "/ca.pem", encoding: .utf8)).flatMap { certificate in
            (try? String(contentsOfFile: directory + "/ca-key.pem", encoding: .utf8)).flatMap { try? CertificateAuthority(certificatePEM: certificate, keyPEM: $0) }
        }
        if let kept, kept.certificate.notValidAfter > Date() + Double(CertificateCheck.renewalDays) * 86_400 {
            authority = kept
            return
        }
        authority = try CertificateAuthority.generate(name: "tongban dev CA")
        try Self.write(try authority.certificatePEM(), to: directory + "/ca.pem", secret: false)
        try Self.write(authority.keyPEM, to: directory + "/ca-key.pem", secret: true)
        say("created a private CA at \(directory)/ca.pem (trust it in a browser to open the staff pages without a warning)")
    }

    /// `node`'s certificate and key, written beside the CA, as the node's TLS.
    func tls(for node: NodeID) throws -> FederationTLS {
        let issued = try authority.issue(for: node, hosts: ["127.0.0.1", "localhost"])
        let certificatePath = "\(directory)/\(node).pem", keyPath = "\(directory)/\(node)-key.pem"
        try Self.write(issued.certificatePEM, to: certificatePath, secret: false)
        try Self.write(issued.keyPEM, to: keyPath, secret: true)
        return try FederationTLS(ca: .init(try authority.certificatePEM(), source: caPath),
                                 certificate: .init(issued.certificatePEM, source: certificatePath),
                                 key: .init(issued.keyPEM, source: keyPath))
    }

    /// Writes `text` to `path`; a secret is readable by its owner only.
    private static func write(_ text: String, to path: String, secret: Bool) throws {
        let mode = secret ? 0o600 : 0o644
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw ValidationError("cannot write \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

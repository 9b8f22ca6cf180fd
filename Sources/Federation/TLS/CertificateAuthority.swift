import CaseDomain
import Crypto
import Foundation
import SwiftASN1
import X509

/// A private certificate authority for a federation that has none of its own (`tongban dev
/// --tls`, tests, benchmarks): a P-256 CA that issues each node a certificate for its hosts,
/// good both for serving and for calling peers.
public struct CertificateAuthority: Sendable {
    /// A node's certificate and its private key, as PEM.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let keyPEM: String
    }

    /// The CA's own (self-signed) certificate.
    public let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A new CA named `name`, valid from an hour before `now` for `days`.
    public static func generate(name: String, now: Date = Date(), days: Int = 3650) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("tongban")
            CommonName(name)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86_400,
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key))
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// The CA kept in PEM files by an earlier run.
    public init(certificatePEM: String, keyPEM: String) throws {
        self.certificate = try Certificate(pemEncoded: certificatePEM)
        self.key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw CertificateAuthorityError.keyMismatch
        }
    }

    private init(certificate: Certificate, key: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// The CA's certificate as PEM: the federation's CA bundle (`--tls-ca`).
    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }

    /// The CA's private key as PEM (keep it beside the certificate, readable by its owner only).
    public var keyPEM: String { key.pemRepresentation }

    /// A certificate for `node` naming `hosts` (IP literals and DNS names), valid from an
    /// hour before `now` for `days`, for TLS servers and clients alike.
    public func issue(for node: NodeID, hosts: [String], now: Date = Date(), days: Int = 365) throws -> Issued {
        let nodeKey = P256.Signing.PrivateKey()
        let names: [GeneralName] = hosts.map { host in
            switch HostAddress(host) {
            case .ip(let bytes): .ipAddress(ASN1OctetString(contentBytes: bytes[...]))
            case .name(let name): .dnsName(name)
            }
        }
        let publicKey = Certificate.PublicKey(nodeKey.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86_400,
            issuer: self.certificate.subject,
            subject: try DistinguishedName {
                OrganizationName("tongban")
                CommonName(node.rawValue)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(key))
        return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: nodeKey.pemRepresentation)
    }
}

/// A CA whose files do not belong together.
public enum CertificateAuthorityError: Error, CustomStringConvertible {
    case keyMismatch

    public var description: String { "the CA's private key is not the key of its certificate" }
}

import Foundation
import NIOSSL

/// How a node speaks TLS. The federation's CA bundle is the only set of roots a peer's
/// certificate is verified against (never the system's), with the host of the peer's URL in
/// the federation file checked against the certificate's names. A node that listens over
/// https also has its own certificate and key: it serves them and presents them to the
/// peers it calls, whose listeners refuse a certificate the federation's CA did not issue.
public struct FederationTLS: Sendable {
    /// This node's certificate chain (its own certificate first) and private key.
    public struct Identity: Sendable {
        public let certificateChain: [NIOSSLCertificate]
        public let privateKey: NIOSSLPrivateKey
    }

    /// PEM text and where it came from, as an error should name it (`--tls-cert node.pem`).
    public struct PEM: Sendable {
        public var bytes: [UInt8]
        public var source: String

        public init(_ text: String, source: String) {
            self.bytes = Array(text.utf8)
            self.source = source
        }

        /// The file at `path`; `option` is the flag that named it.
        public static func file(_ path: String, option: String) throws(TLSMaterialError) -> PEM {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadable(source: "\(option) \(path)")
            }
            return PEM(bytes: Array(data), source: "\(option) \(path)")
        }

        private init(bytes: [UInt8], source: String) {
            self.bytes = bytes
            self.source = source
        }
    }

    /// The federation's CA certificates.
    public let trustRoots: [NIOSSLCertificate]
    /// This node's certificate and key, when it listens over https.
    public let identity: Identity?
    /// How this node calls its peers: the federation's roots only, full verification
    /// (chain and host name), this node's certificate presented when it has one.
    public let clientConfiguration: TLSConfiguration
    /// How this node's listener answers, when it has an identity: its certificate, and a
    /// client certificate checked against the federation's roots whenever one is presented
    /// (a browser presents none; a peer presents its node certificate).
    public let serverConfiguration: TLSConfiguration?

    /// The scheme of this node's listener.
    public var scheme: String { identity == nil ? "http" : "https" }

    /// Parses the CA bundle and, together or not at all, the node's certificate chain and
    /// key; checks that the key is the certificate's. Each failure names its source.
    public init(ca: PEM, certificate: PEM? = nil, key: PEM? = nil) throws(TLSMaterialError) {
        let roots = try Self.certificates(in: ca)
        var identity: Identity?
        switch (certificate, key) {
        case (nil, nil):
            identity = nil
        case let (certificate?, key?):
            let chain = try Self.certificates(in: certificate)
            let privateKey: NIOSSLPrivateKey
            do {
                privateKey = try NIOSSLPrivateKey(bytes: key.bytes, format: .pem)
            } catch {
                throw .unreadableKey(source: key.source)
            }
            identity = Identity(certificateChain: chain, privateKey: privateKey)
        case let (certificate?, nil):
            throw .incomplete(present: certificate.source, missing: "a private key")
        case let (nil, key?):
            throw .incomplete(present: key.source, missing: "a certificate")
        }
        self.trustRoots = roots
        self.identity = identity

        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv12
        client.trustRoots = .certificates(roots)
        client.certificateVerification = .fullVerification
        if let identity {
            client.certificateChain = identity.certificateChain.map { .certificate($0) }
            client.privateKey = .privateKey(identity.privateKey)
        }
        self.clientConfiguration = client

        if let identity {
            var server = TLSConfiguration.makeServerConfiguration(certificateChain: identity.certificateChain.map { .certificate($0) },
                                                                  privateKey: .privateKey(identity.privateKey))
            server.minimumTLSVersion = .tlsv12
            server.trustRoots = .certificates(roots)
            server.certificateVerification = .optionalVerification
            do {
                _ = try NIOSSLContext(configuration: server)
            } catch {
                throw .keyMismatch(certificate: certificate?.source ?? "", key: key?.source ?? "", reason: "\(error)")
            }
            self.serverConfiguration = server
        } else {
            self.serverConfiguration = nil
        }
    }

    private static func certificates(in pem: PEM) throws(TLSMaterialError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(pem.bytes)
        } catch {
            throw .noCertificate(source: pem.source)
        }
        guard !certificates.isEmpty else { throw .noCertificate(source: pem.source) }
        return certificates
    }
}

/// TLS material a node cannot use, naming where it came from.
public enum TLSMaterialError: Error, Equatable, CustomStringConvertible {
    case unreadable(source: String)
    case noCertificate(source: String)
    case unreadableKey(source: String)
    case incomplete(present: String, missing: String)
    case keyMismatch(certificate: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let source): "\(source): the file cannot be read"
        case .noCertificate(let source): "\(source): no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
        case .unreadableKey(let source): "\(source): not a PEM private key"
        case .incomplete(let present, let missing): "\(present) needs \(missing) too: a node's certificate and key go together"
        case .keyMismatch(let certificate, let key, let reason): "\(key) is not the key of \(certificate) (\(reason))"
        }
    }
}

extension FederationFile {
    /// The nodes whose URL does not use `scheme`: a federation is reached over https
    /// everywhere (its CA given) or over plain http everywhere (on loopback).
    public func nodes(notUsing scheme: String) -> [Node] {
        nodes.filter { URLComponents(string: $0.url)?.scheme?.lowercased() != scheme }
    }
}

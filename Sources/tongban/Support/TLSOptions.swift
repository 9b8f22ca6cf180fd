import ArgumentParser
import Federation

/// `--tls-cert`, `--tls-key` and `--tls-ca`: the node's certificate and key, and the
/// federation's CA bundle its peers are verified against.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("This node's certificate chain (PEM), issued by the federation's CA for the host of its URL; needs --tls-key and --tls-ca.",
                               valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("This node's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("The federation's CA bundle (PEM): peers are reached over https and verified against it alone.", valueName: "file"))
    var tlsCa: String?

    /// The PEM files named, read; a missing or unreadable one says which option.
    func files() throws -> (certificate: FederationTLS.PEM?, key: FederationTLS.PEM?, ca: FederationTLS.PEM?) {
        do {
            return (try tlsCert.map { try FederationTLS.PEM.file($0, option: "--tls-cert") },
                    try tlsKey.map { try FederationTLS.PEM.file($0, option: "--tls-key") },
                    try tlsCa.map { try FederationTLS.PEM.file($0, option: "--tls-ca") })
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The node's TLS, or `nil` when no option is given (plain http); refuses a certificate
    /// without its key or without the federation's CA.
    func resolved() throws -> FederationTLS? {
        let (certificate, key, ca) = try files()
        guard let ca else {
            if let given = certificate ?? key { throw ValidationError("\(given.source) needs --tls-ca: the federation's CA bundle, which peers are verified against") }
            return nil
        }
        do {
            return try FederationTLS(ca: ca, certificate: certificate, key: key)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The CA bundle at `path` alone (`--tls-ca` of a command that calls a node's API).
    static func authority(at path: String) throws -> FederationTLS {
        do {
            return try FederationTLS(ca: try .file(path, option: "--tls-ca"))
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

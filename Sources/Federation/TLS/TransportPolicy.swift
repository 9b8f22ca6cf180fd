/// TLS everywhere outside loopback: what `serve` refuses to start on and `config check`
/// reports.
public enum TransportPolicy {
    /// What is wrong with listening on `host` with `tls` and reaching the peers of
    /// `federation` (read from `path`), if anything: a listener on an address other than
    /// loopback needs a certificate unless `insecureHTTP`; the nodes' URLs must use the
    /// scheme peers are reached with.
    public static func problem(host: String, tls: FederationTLS?, insecureHTTP: Bool, federation: FederationFile, path: String) -> String? {
        if tls?.identity == nil, !HostAddress(host).isLoopback, !insecureHTTP {
            return "--host \(host) is not a loopback address: serve it over TLS (--tls-cert, --tls-key, --tls-ca), "
                + "or pass --insecure-http behind a TLS-terminating proxy"
        }
        return schemeProblem(federation: federation, path: path, https: tls != nil)
    }

    /// What is wrong with the federation's URLs for a node that reaches its peers over
    /// https (`https`: the federation's CA given) or plain http, if anything.
    public static func schemeProblem(federation: FederationFile, path: String, https: Bool) -> String? {
        let wrong = federation.nodes(notUsing: https ? "https" : "http").map { "nodes[\($0.id)].url \($0.url)" }
        guard !wrong.isEmpty else { return nil }
        return https
            ? "\(path): \(wrong.joined(separator: ", ")) is not https: with --tls-ca every node is reached over TLS"
            : "\(path): \(wrong.joined(separator: ", ")) is not http: pass --tls-ca, the federation's CA bundle, to reach it over https"
    }
}

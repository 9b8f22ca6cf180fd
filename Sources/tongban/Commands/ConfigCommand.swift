import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

/// `tongban config`: checks a node's settings before it is started.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a federation file and a node's settings.",
        subcommands: [ConfigCheckCommand.self, ConfigReloadCommand.self]
    )
}

/// `tongban config check`: everything `serve` would refuse to start on, said at once.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a federation file and, if given, a node's id, key and database; print what is wrong, exit 1 if anything is.",
        discussion: """
            With only --federation, checks the file (each error names its line or field). With \
            --node and --key, checks that the node is in the file and the key is its key. With \
            --database-url, checks that the database answers, has every migration of --schema-dir \
            and is reached as the service role. With --tls-cert, --tls-key and --tls-ca, checks \
            that they make a listener, that the certificate is issued by the CA, serves and calls \
            peers, names the host of the node's URL and is not expired nor expires within 30 days \
            (nor the CA); with --tls-ca, that every node's URL is https.
            """
    )

    @Option(help: ArgumentHelp("The federation file.", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("The node's id in the federation file.", valueName: "id"))
    var node: String?

    @Option(help: ArgumentHelp("The node's private key.", valueName: "file"))
    var key: String?

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var schema: SchemaOptions

    @OptionGroup var tls: TLSOptions

    func run() async throws {
        var problems = 0
        func ok(_ line: String) { print("ok: \(line)") }
        func problem(_ line: String) {
            print("PROBLEM: \(line)")
            problems += 1
        }

        let file: FederationFile
        do {
            file = try FederationFile.load(path: federation)
            ok("\(federation): \(file.nodes.count) node(s), \(file.nodes.reduce(0) { $0 + $1.centres.count }) centre(s), every node has a public key")
            let degrees = file.peerGraph.values.map(\.count)
            ok("sync peers connect every node: each syncs with \(degrees.min() ?? 0) to \(degrees.max() ?? 0) peer(s)"
               + (file.nodes.allSatisfy { $0.peers == nil } ? " (no node lists peers: every node syncs with every other)" : ""))
            if file.matchingKey == nil {
                print("WARNING: \(federation) has no matchingKey: each node indexes certificate holders under a key of its own, "
                      + "so a certificate is recognised only at the node that issued it (give every node the same base64 of 32 random bytes)")
            }
        } catch {
            problem("\(error)")
            throw ExitCode(1)
        }

        if let node {
            if let entry = file.nodes.first(where: { $0.id.rawValue == node }) {
                ok("node \(node): \(entry.url), centres \(entry.centres.map(\.id.rawValue).joined(separator: ", "))")
                ok("node \(node) syncs with \(file.syncPeers(of: entry.id).map(\.rawValue).joined(separator: ", "))")
                if let key {
                    do {
                        let identity = try NodeIdentityOptions.identity(node: node, key: key, in: file, loadedFrom: federation)
                        if database.databaseURL != nil || Environment.value("TONGBAN_DATABASE_URL") != nil {
                            try await identity.requireCurrentKey(in: try database.resolved(), key: key, federation: federation)
                            ok("--key \(key) is \(node)'s current key\(identity.keyFollowsChain ? " (its chain changed to it)" : "")")
                        } else if !identity.keyFollowsChain {
                            ok("--key \(key) is \(node)'s key")
                        } else {
                            problem("--key \(key) is not \(node)'s key in \(federation) (a key its chain changed to is checked with --database-url)")
                        }
                    } catch {
                        problem(NodeIdentityOptions.message(for: error))
                    }
                }
            } else {
                problem("--node \(node): not a node of \(federation) (known: \(file.nodes.map(\.id.rawValue).joined(separator: ", ")))")
            }
        } else if key != nil {
            problem("--key needs --node: a key is checked against its node's public key")
        }

        if tls.tlsCert != nil || tls.tlsKey != nil || tls.tlsCa != nil {
            checkTLS(file, node: file.nodes.first { $0.id.rawValue == node }, ok: ok, problem: problem)
        } else if node != nil, let wrong = TransportPolicy.schemeProblem(federation: file, path: federation, https: false) {
            problem(wrong)
        }

        if database.databaseURL != nil || Environment.value("TONGBAN_DATABASE_URL") != nil {
            await checkDatabase(ok: ok, problem: problem)
        }
        guard problems == 0 else {
            print("\(problems) problem(s)")
            throw ExitCode(1)
        }
        print("OK: the settings are sound")
    }

    /// The TLS material, the node's certificate and the scheme of every node's URL.
    private func checkTLS(_ file: FederationFile, node entry: FederationFile.Node?, ok: (String) -> Void, problem: (String) -> Void) {
        let files: (certificate: FederationTLS.PEM?, key: FederationTLS.PEM?, ca: FederationTLS.PEM?)
        do {
            files = try tls.files()
        } catch {
            problem(NodeIdentityOptions.message(for: error))
            return
        }
        do {
            if let material = try tls.resolved() {
                ok(material.identity == nil
                   ? "--tls-ca: peers are reached over https and verified against \(material.trustRoots.count) CA certificate(s)"
                   : "--tls-cert, --tls-key and --tls-ca make a TLS listener (the key is the certificate's)")
            }
        } catch {
            problem(NodeIdentityOptions.message(for: error))
        }
        if let certificate = files.certificate {
            if entry == nil { print("WARNING: no --node: \(certificate.source) is not checked against a node's URL") }
            for finding in CertificateCheck.findings(certificate: certificate, ca: files.ca, url: entry?.url) {
                switch finding {
                case .ok(let line): ok(line)
                case .problem(let line): problem(line)
                }
            }
        }
        if let wrong = TransportPolicy.schemeProblem(federation: file, path: federation, https: files.ca != nil) {
            problem(wrong)
        } else {
            ok("every node's URL is \(files.ca == nil ? "http" : "https")")
        }
    }

    /// Reachability, migrations and role.
    private func checkDatabase(ok: (String) -> Void, problem: (String) -> Void) async {
        let url: DatabaseURL
        let expected: Int
        do {
            url = try database.resolved()
            expected = try schema.migrator().latestVersion
        } catch {
            problem("\(error)")
            return
        }
        do {
            let (applied, role) = try await withRunningClient(url) { client in
                let applied = try await Migrator.appliedVersions(client, logger: Logger(label: "tongban.config"))
                var role = ""
                for try await name in try await client.query("SELECT current_user::text").decode(String.self) { role = name }
                return (applied.keys.max() ?? 0, role)
            }
            if applied >= expected {
                ok("\(url): schema version \(applied)")
            } else {
                problem("\(url): schema version \(applied), this build needs \(expected): run tongban migrate --database-url <the owner's URL>")
            }
            if role == LocalCluster.serviceRole {
                ok("connected as \(role)")
            } else {
                problem("connected as \(role): serve should use \(LocalCluster.serviceRole), which may only insert events, never change them")
            }
        } catch {
            problem("\(error)")
        }
    }
}

extension NodeIdentityOptions {
    /// The text of a failed ``resolved()``: a validation message as it is, anything else described.
    static func message(for error: any Error) -> String {
        if let validation = error as? ValidationError { return validation.message }
        return "\(error)"
    }
}

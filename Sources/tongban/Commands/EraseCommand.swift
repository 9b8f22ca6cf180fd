import ArgumentParser
import AsyncHTTPClient
import CaseDomain
import Federation
import Foundation
import NIOCore
import NIOFoundationCompat

/// `tongban erase case <id>`: a supervisor of the owning centre erases an archived case's
/// personal data once its city's retention period has passed, through the node's API (the
/// token proves who asks; the node checks everything and records the erasure event).
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase records' personal data (every node destroys their keys).",
        subcommands: [EraseCaseCommand.self]
    )
}

struct EraseCaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Erase an archived case's personal data once its city's retention period has passed.",
        discussion: """
            Needs a supervisor's token of the owning centre (tongban token issue --role supervisor). \
            Prints the case's new version; a refusal is printed as the node's problem and exits 1.
            """
    )

    @Argument(help: ArgumentHelp("The case id (a UUID).", valueName: "id"))
    var id: String

    @Option(help: ArgumentHelp("The owning node's API, e.g. http://127.0.0.1:8401 or https://qingdao.example.org.", valueName: "url"))
    var nodeURL: String

    @Option(help: ArgumentHelp("The federation's CA bundle (PEM) to verify an https node against (default: the system's roots).", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("A supervisor's staff token (default: $TONGBAN_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Why the case is erased (recorded in plain text: name no person).", valueName: "text"))
    var reason: String

    func validate() throws {
        guard StreamID.isRecordID(id.lowercased()) else { throw ValidationError("'\(id)' is not a case id (a UUID)") }
        guard let url = URL(string: nodeURL), ["http", "https"].contains(url.scheme ?? "") else {
            throw ValidationError("--node-url '\(nodeURL)' is not an http(s) URL")
        }
        guard token ?? Environment.value("TONGBAN_TOKEN") != nil else { throw ValidationError("no token: pass --token or set TONGBAN_TOKEN") }
    }

    func run() async throws {
        let tls = try tlsCa.map(TLSOptions.authority(at:))
        let token = token ?? Environment.value("TONGBAN_TOKEN") ?? ""
        let path = "/v1/cases/\(id.lowercased())"
        let (status, view) = try await call("GET", path, token: token, tls: tls, body: nil)
        guard status == 200, let version = view["version"]?.integerValue else { throw Self.refused(status, view) }
        let (written, answer) = try await call("POST", path + "/erasure", token: token, tls: tls,
                                               body: ["expectedVersion": .integer(version), "reason": .string(reason)])
        guard written == 200 else { throw Self.refused(written, answer) }
        print("erased case \(id.lowercased()) at version \(answer["version"]?.integerValue ?? 0): every node destroys its keys as the event reaches it")
    }

    private func call(_ method: String, _ path: String, token: String, tls: FederationTLS?, body: JSONValue?) async throws -> (UInt, JSONValue) {
        var request = HTTPClientRequest(url: nodeURL.trimmingCharacters(in: ["/"]) + path)
        request.tlsConfiguration = tls?.clientConfiguration
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try CanonicalJSON.encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, (try? CanonicalJSON.decode(Array(bytes.readableBytesView))) ?? .null)
    }

    private static func refused(_ status: UInt, _ problem: JSONValue) -> ValidationError {
        ValidationError("the node refused (\(status)): \(problem["detail"]?.stringValue ?? problem["title"]?.stringValue ?? "no detail")")
    }
}

import CaseDomain
import EventLog
import Foundation

/// The checks that the peer takes node-signed requests only: each sends a pull (or another
/// sync request) that a node must refuse with 401, and fails when the peer answers anything
/// else.
struct AuthenticationChecks: Sendable {
    let peer: ConformancePeer
    /// The member the suite signs as.
    let key: NodeSigningKey

    /// A pull for one event from the empty vector: cheap for any peer to answer. Encoded
    /// once: what is signed must be the very bytes sent.
    private let body = Data(#"{"limit":1,"vector":{}}"#.utf8)

    init(peer: ConformancePeer, key: NodeSigningKey) {
        self.peer = peer
        self.key = key
    }

    func run() async -> [ConformanceResult] {
        [await unsigned(), await foreignKey(), await misaddressed(), await replay(), await stale()]
    }

    /// Unsigned pull, notify and status: each must be 401.
    func unsigned() async -> ConformanceResult {
        var answered: [String] = []
        for (method, path, body) in [("POST", "/v1/sync/pull", body), ("POST", "/v1/sync/notify", Data("{}".utf8)), ("GET", "/v1/sync/status", Data())] {
            do {
                let answer = try await peer.raw(method, path, body: body, headers: [])
                guard answer.status == 401 else {
                    return .fail(.signedRequestsRequired, "unsigned \(method) \(path) answered \(answer.status), not 401")
                }
                answered.append(path.split(separator: "/").last.map(String.init) ?? path)
            } catch {
                return .fail(.signedRequestsRequired, "unsigned \(method) \(path) failed: \(error)")
            }
        }
        return .pass(.signedRequestsRequired, "unsigned \(answered.joined(separator: ", ")) answered 401")
    }

    /// A pull that names the member but is signed by a key of no one.
    func foreignKey() async -> ConformanceResult {
        await expectRefused(.foreignKeyRefused, "a pull naming \(key.node) signed by another key") {
            try peer.signature("POST", "/v1/sync/pull", body: body, key: .generate(for: key.node), to: peer.peer.id)
        }
    }

    /// A pull the member signed for itself as the receiver, sent to the peer: a request
    /// captured on its way to one node must not be accepted by another.
    func misaddressed() async -> ConformanceResult {
        await expectRefused(.misaddressedRefused, "a pull signed for receiver \(key.node), sent to \(peer.peer.id)") {
            try peer.signature("POST", "/v1/sync/pull", body: body, key: key, to: key.node)
        }
    }

    /// A pull signed ten minutes ago (far outside any sensible window).
    func stale() async -> ConformanceResult {
        await expectRefused(.staleTimestampRefused, "a pull signed 600 s ago") {
            try peer.signature("POST", "/v1/sync/pull", body: body, key: key, to: peer.peer.id,
                               at: Timestamp(Date()).millisecondsSinceEpoch - 600_000)
        }
    }

    /// One signed pull sent twice: the first must be answered 200, the second 401.
    func replay() async -> ConformanceResult {
        do {
            let headers = try peer.signature("POST", "/v1/sync/pull", body: body, key: key, to: peer.peer.id)
            let first = try await peer.raw("POST", "/v1/sync/pull", body: body, headers: headers)
            guard first.status == 200 else {
                return .fail(.replayRefused, "a signed pull answered \(first.status), not 200: \(first.excerpt)")
            }
            let second = try await peer.raw("POST", "/v1/sync/pull", body: body, headers: headers)
            guard second.status == 401 else {
                return .fail(.replayRefused, "the same signed pull sent again answered \(second.status), not 401")
            }
            return .pass(.replayRefused, "a signed pull answered 200, the same request sent again 401")
        } catch {
            return .fail(.replayRefused, "a signed pull failed: \(error)")
        }
    }

    /// Sends a pull with the headers `sign` makes; passes on 401 only.
    private func expectRefused(_ check: ConformanceCheck, _ what: String,
                               _ sign: () throws -> [(String, String)]) async -> ConformanceResult {
        do {
            let answer = try await peer.raw("POST", "/v1/sync/pull", body: body, headers: try sign())
            guard answer.status == 401 else { return .fail(check, "\(what) answered \(answer.status), not 401") }
            return .pass(check, "\(what) answered 401")
        } catch {
            return .fail(check, "\(what) failed: \(error)")
        }
    }
}

import AsyncHTTPClient
import CaseDomain
import EventLog
import Foundation
import NIOCore

/// The peer under test, reached as a member of its federation: signed requests through
/// ``PeerClient``, and the deliberately wrong ones (unsigned, replayed, stale, signed by a
/// stranger) with headers the caller chooses. Every answer is read up to
/// ``PeerClient/maximumAnswerBytes`` and trusted for nothing.
struct ConformancePeer: Sendable {
    let client: PeerClient
    let peer: PeerClient.Peer

    /// An answer: its status and body.
    struct Answer: Sendable {
        var status: UInt
        var body: ByteBuffer

        /// The start of the body, for a reason.
        var excerpt: String { ConformanceResult.oneLine(String(decoding: body.readableBytesView.prefix(160), as: UTF8.self)) }
    }

    /// A request signed by the member for the peer, as its sync worker sends it.
    func signed(_ method: String, _ path: String, body: Data = Data()) async throws -> Answer {
        let answer = try await client.send(method, path, to: peer, body: body)
        return Answer(status: answer.status, body: answer.body)
    }

    /// A request with exactly `headers` (and a JSON content type).
    func raw(_ method: String, _ path: String, body: Data = Data(), headers: [(String, String)]) async throws -> Answer {
        let scheme = client.tls == nil ? "http" : "https"
        guard URLComponents(string: peer.url)?.scheme?.lowercased() == scheme else { throw PeerTransportError(peer: peer, scheme: scheme) }
        var request = HTTPClientRequest(url: peer.url + path)
        request.tlsConfiguration = client.tls?.clientConfiguration
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(data: body)) }
        let response = try await PeerClient.http.execute(request, timeout: .seconds(10))
        return Answer(status: response.status.code, body: try await response.body.collect(upTo: PeerClient.maximumAnswerBytes))
    }

    /// The headers that sign `body` for `receiver` at `timestamp` (milliseconds) with `key`.
    func signature(_ method: String, _ path: String, body: Data, key: NodeSigningKey, to receiver: NodeID,
                   at timestamp: Int64 = Timestamp(Date()).millisecondsSinceEpoch) throws -> [(String, String)] {
        try NodeRequestSignature.headers(method: method, path: path, body: body, key: key, to: receiver, at: timestamp)
    }

    /// The body of a pull from `vector` for `limit` events.
    static func pullBody(_ vector: [NodeID: Int64], limit: Int) throws -> Data {
        try JSONEncoder().encode(SyncMessages.PullRequest(vector: vector, limit: limit))
    }

    /// A signed pull from `vector`, its answer checked for form: 200, a pull page whose vector
    /// names node ids and sequences in range, no more events than `limit`, every event
    /// readable and beyond `vector`. Anything else throws a reason.
    func pull(_ vector: [NodeID: Int64], limit: Int) async throws(ConformanceFailure) -> PullPage {
        let answer: Answer
        do { answer = try await signed("POST", "/v1/sync/pull", body: try Self.pullBody(vector, limit: limit)) } catch {
            throw ConformanceFailure("a signed pull failed: \(error)")
        }
        guard answer.status == 200 else { throw ConformanceFailure("a signed pull was answered \(answer.status): \(answer.excerpt)") }
        let response: SyncMessages.PullResponse
        do { response = try JSONDecoder().decode(SyncMessages.PullResponse.self, from: Data(buffer: answer.body)) } catch {
            throw ConformanceFailure("the pull answer is not a page of events (events, more, vector): \(answer.excerpt)")
        }
        let claimed: [NodeID: Int64]
        do { claimed = try SyncMessages.nodeVector(response.vector, field: "vector") } catch { throw ConformanceFailure("the pull answer's \(error)") }
        guard response.events.count <= limit else {
            throw ConformanceFailure("a pull for limit \(limit) was answered \(response.events.count) events")
        }
        var events: [SignedEvent] = []
        for (index, wire) in response.events.enumerated() {
            guard let event = try? wire.signedEvent() else { throw ConformanceFailure("event \(index) of a pull answer is not a readable event envelope") }
            let held = vector[event.envelope.originNode, default: 0]
            guard event.envelope.originSeq > held else {
                throw ConformanceFailure("a pull from \(event.envelope.originNode)=\(held) served \(event.envelope.originNode)/\(event.envelope.originSeq), which the vector holds")
            }
            events.append(event)
        }
        return PullPage(events: events, more: response.more, vector: claimed, checkpoints: response.checkpoints ?? [])
    }
}

/// A pull answer, read and checked for form.
struct PullPage: Sendable {
    var events: [SignedEvent]
    var more: Bool
    /// The peer's vector, as it claims it.
    var vector: [NodeID: Int64]
    /// The checkpoints as they came, each still to be parsed.
    var checkpoints: [SyncMessages.WireCheckpoint]
}

/// Why a check cannot pass: what was asked and what the peer answered.
struct ConformanceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension [NodeID: Int64] {
    /// The vector as `a=1 b=2`, by node id.
    var vectorText: String {
        isEmpty ? "{}" : sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

import CaseDomain
import Casework
import Federation
import Foundation
import NIOCore

/// Asks the node that alone writes a record now (invariant 5) to record what a centre of
/// this node asked of it: a transfer's cancellation while the target's node writes the
/// case, an extension's decision while the requested centre's node writes the request.
/// One appender orders the asked-for event against that node's own, so a race has one
/// winner; the answer is read as hostile input.
struct WriterRelay: Sendable {
    /// How other nodes are reached; `nil` on a node that does not sync.
    let peers: PeerClient?
    /// Pulls what the writing node recorded at once.
    let syncWorker: SyncWorker?

    /// The most a writing node's answer may hold.
    static let maximumAnswerBytes = 64 * 1024

    /// Sends `message` to `node` at `path` (node-signed) and gives its answer.
    /// - Parameter waiting: where the record waits, for messages (`the transfer is pending`).
    func ask(_ node: NodeID, _ path: String, _ message: some Encodable, recordID: String, waiting: String) async throws -> WriteResult {
        guard let peers, let peer = peers.nodes[node] else {
            throw Problem(.unavailable, "this node does not reach \(node), where \(waiting): it cannot be asked from here")
        }
        let answer: (status: UInt, contentType: String?, body: ByteBuffer)
        do {
            answer = try await peers.send("POST", path, to: peer, body: Data(try CanonicalJSON.encode(encodable: message)),
                                          limit: Self.maximumAnswerBytes)
        } catch {
            throw Problem(.unavailable, "\(node), where \(waiting), could not be reached (\(error)): nothing changed; retry shortly")
        }
        await syncWorker?.wake(from: node)
        return try Self.result(of: answer.status, Array(answer.body.readableBytesView), from: node, recordID: recordID, waiting: waiting)
    }

    /// The writing node's answer, read as hostile input: a version, or its refusal relayed
    /// under its own kind (one of ``relayedKinds``, with its own status) with the node
    /// named; anything else is the node's failure.
    static func result(of status: UInt, _ bytes: [UInt8], from node: NodeID, recordID: String, waiting: String) throws -> WriteResult {
        let body = try? CanonicalJSON.decode(bytes)
        if status == 200, let version = body?["version"]?.integerValue, version > 0 {
            return WriteResult(id: recordID, version: version)
        }
        let slug = body?["type"]?.stringValue.flatMap { $0.hasPrefix(Problem.typeBase) ? String($0.dropFirst(Problem.typeBase.count)) : nil }
        guard let kind = slug.flatMap(Problem.Kind.init(rawValue:)), Self.relayedKinds.contains(kind), UInt(kind.status.code) == status,
              let detail = body?["detail"]?.stringValue else {
            throw Problem(.unavailable, "\(node), where \(waiting), answered with status \(status): retry shortly")
        }
        // The record this node shows has not reached the writing node yet: a matter of sync.
        guard kind != .notFound else {
            throw Problem(.unavailable, "\(node) has not received \(recordID) yet, so it cannot record this there: retry shortly")
        }
        throw Problem(kind, "\(node): \(detail.prefix(1000))", errors: fieldErrors(in: body?["errors"]),
                      currentVersion: body?["currentVersion"]?.integerValue)
    }

    /// The refusals of the writing node that are the staff member's to act on: the record's
    /// state, rights or input. Anything else (a refused node signature, the node's own
    /// failure) is this node's trouble reaching it, answered as unavailable.
    static let relayedKinds: Set<Problem.Kind> = [.conflict, .invalidTransition, .forbidden, .validation, .notFound, .malformed, .payloadTooLarge]

    /// A relayed problem's field errors, at most 20, each text bounded.
    private static func fieldErrors(in listed: JSONValue?) -> [Problem.FieldError] {
        guard case .array(let errors)? = listed else { return [] }
        return errors.prefix(20).compactMap { error in
            guard let field = error["field"]?.stringValue, let reason = error["reason"]?.stringValue else { return nil }
            return Problem.FieldError(field: String(field.prefix(200)), reason: String(reason.prefix(500)))
        }
    }
}

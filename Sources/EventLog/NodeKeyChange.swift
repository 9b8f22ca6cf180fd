import CaseDomain
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A node's change of its event key, written in its own chain (stream `node-<id>`) and
/// signed by the key it replaces: from the next `originSeq` on, the key it names signs.
/// Every node and `tongban verify` follow these events, so old events still verify with
/// the old key and no event after the change verifies with it.
public enum NodeKeyChange {
    public static let type = "NodeKeyChanged"
    public static let schemaVersion = 1

    /// The stream of `node`'s key changes; only `node` writes it.
    public static func stream(of node: NodeID) -> String { "node-\(node)" }

    /// The event that hands `node`'s chain over to `newKey`.
    public static func event(newKey: Curve25519.Signing.PublicKey) -> NewEvent {
        NewEvent(type: type, schemaVersion: schemaVersion, actor: .system,
                 body: ["publicKey": .string(newKey.rawRepresentation.base64EncodedString())])
    }

    /// The key a key-change event names; `nil` for any other event, or one written to
    /// another node's stream, or whose body names no Ed25519 public key.
    public static func newKey(in envelope: EventEnvelope) -> Curve25519.Signing.PublicKey? {
        guard envelope.type == type, envelope.schemaVersion == schemaVersion, envelope.streamId == stream(of: envelope.originNode),
              case .string(let text)? = envelope.body["publicKey"], text.utf8.count == 44,
              let raw = Data(base64Encoded: text) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}

extension OriginKeyring {
    /// This keyring once the key changes among `events` are followed, in origin order:
    /// a change counts only when the key it replaces signed it (a forged one changes nothing)
    /// and that key was not compromised by then (a thief cannot hand the chain to itself).
    public func following(_ events: some Sequence<SignedEvent>) -> OriginKeyring {
        var keyring = self
        let changes = events.filter { $0.envelope.type == NodeKeyChange.type }
            .sorted { ($0.envelope.originNode.rawValue, $0.envelope.originSeq) < ($1.envelope.originNode.rawValue, $1.envelope.originSeq) }
        for event in changes {
            guard let key = NodeKeyChange.newKey(in: event.envelope), (try? event.verify(with: keyring)) != nil,
                  keyring.compromise(of: event.envelope.originNode, seq: event.envelope.originSeq) == nil else { continue }
            keyring.rotate(event.envelope.originNode, to: key, fromSeq: event.envelope.originSeq + 1)
        }
        return keyring
    }

    /// This keyring following every key change this node's log holds.
    public func followingKeyChanges(in client: PostgresClient, logger: Logger) async throws -> OriginKeyring {
        let rows = try await client.query("""
            SELECT envelope, hash, signature FROM events WHERE type = \(NodeKeyChange.type) ORDER BY origin_node, origin_seq
            """, logger: logger)
        var events: [SignedEvent] = []
        for try await (envelope, hash, signature) in rows.decode((ByteBuffer, ByteBuffer, ByteBuffer).self) {
            guard let hash = EventHash(bytes: Array(hash.readableBytesView)),
                  let event = try? SignedEvent(storedBytes: Array(envelope.readableBytesView), hash: hash, signature: Array(signature.readableBytesView))
            else { continue }
            events.append(event)
        }
        return following(events)
    }
}

/// Where the keys that verify events come from now: a fixed keyring, or an appender that
/// follows the key changes of its log.
public protocol OriginKeySource: Sendable {
    /// The keys as they stand now.
    func originKeys() async throws -> OriginKeyring
}

extension OriginKeyring: OriginKeySource {
    public func originKeys() -> OriginKeyring { self }
}

extension EventAppender: OriginKeySource {}

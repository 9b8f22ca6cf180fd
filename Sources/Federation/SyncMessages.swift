import CaseDomain
import EventLog
import Foundation

/// What nodes send each other to sync: a version vector in, the events it lacks out.
public enum SyncMessages {
    /// `POST /v1/sync/pull`: the caller's version vector and how many events it takes at once.
    public struct PullRequest: Codable, Sendable {
        public var vector: [String: Int64]
        public var limit: Int

        public init(vector: [NodeID: Int64], limit: Int) {
            self.vector = Dictionary(uniqueKeysWithValues: vector.map { ($0.key.rawValue, $0.value) })
            self.limit = limit
        }

        /// The vector, its node ids checked.
        public func nodeVector() throws -> [NodeID: Int64] {
            var vector: [NodeID: Int64] = [:]
            for (text, seq) in self.vector {
                guard let node = NodeID(rawValue: text), seq >= 0 else { throw SyncError.malformed("vector.\(text)") }
                vector[node] = seq
            }
            return vector
        }
    }

    /// One event as stored: its canonical bytes, hash and signature.
    public struct WireEvent: Codable, Sendable {
        public var envelope: String
        public var hash: String
        public var signature: String

        public init(_ event: SignedEvent) {
            envelope = Data(event.canonicalBytes).base64EncodedString()
            hash = event.hash.hex
            signature = Data(event.signature).base64EncodedString()
        }

        /// The signed event, parsed strictly (its signature is checked by the importing appender).
        public func signedEvent() throws -> SignedEvent {
            guard let bytes = Data(base64Encoded: envelope), let hash = EventHash(hex: hash), let signature = Data(base64Encoded: signature) else {
                throw SyncError.malformed("event encoding")
            }
            return try SignedEvent(canonicalBytes: Array(bytes), hash: hash, signature: Array(signature))
        }
    }

    /// The answer to a pull: events in origin order, and whether more are waiting.
    public struct PullResponse: Codable, Sendable {
        public var events: [WireEvent]
        public var more: Bool
        /// The responder's own version vector, for lag.
        public var vector: [String: Int64]

        public init(events: [WireEvent], more: Bool, vector: [NodeID: Int64]) {
            self.events = events
            self.more = more
            self.vector = Dictionary(uniqueKeysWithValues: vector.map { ($0.key.rawValue, $0.value) })
        }
    }
}

/// Why a sync exchange failed.
public enum SyncError: Error, CustomStringConvertible {
    case malformed(String)
    case peer(status: UInt, body: String)

    public var description: String {
        switch self {
        case .malformed(let what): "malformed sync message: \(what)"
        case .peer(let status, let body): "the peer answered \(status): \(body.prefix(300))"
        }
    }
}

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

        /// The response as JSON, the same `JSONDecoder` reads, written directly: a pull
        /// answers thousands of events, whose fields are base64 and hex and need no escaping.
        public func encoded() throws -> Data {
            var json = Data(#"{"events":["#.utf8)
            json.reserveCapacity(events.reduce(64) { $0 + $1.envelope.utf8.count + $1.signature.utf8.count + 128 })
            for (index, event) in events.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                json.append(contentsOf: #"{"envelope":""#.utf8)
                json.append(contentsOf: event.envelope.utf8)
                json.append(contentsOf: #"","hash":""#.utf8)
                json.append(contentsOf: event.hash.utf8)
                json.append(contentsOf: #"","signature":""#.utf8)
                json.append(contentsOf: event.signature.utf8)
                json.append(contentsOf: #""}"#.utf8)
            }
            json.append(contentsOf: #"],"more":\#(more),"vector":"#.utf8)
            json.append(try JSONEncoder().encode(vector))
            json.append(UInt8(ascii: "}"))
            return json
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

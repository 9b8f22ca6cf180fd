import CaseDomain
import EventLog
import Foundation

/// What nodes send each other to sync: a version vector in, the events it lacks out.
public enum SyncMessages {
    /// A pull page holds at most this many bytes of events (and always at least one event:
    /// no event is larger, ``EventValueRules/maximumEventBytes`` is far smaller).
    public static let maximumPageBytes = 8 * 1024 * 1024
    /// A version vector names at most this many origins.
    public static let maximumOrigins = 1000
    /// A pull answer carries at most this many checkpoints (a few per origin).
    public static let maximumCheckpoints = maximumOrigins * CheckpointStore.maximumPerOrigin
    /// The highest origin sequence a vector may claim (what any JSON reader reads exactly).
    public static let maximumSequence: Int64 = 1 << 53

    /// `POST /v1/sync/pull`: the caller's version vector, how many events it takes at once,
    /// and the origins it does not want now (ones it refused, so that their events do not
    /// fill every page and hold up the others).
    public struct PullRequest: Codable, Sendable {
        public var vector: [String: Int64]
        public var limit: Int
        public var exclude: [String]?

        public init(vector: [NodeID: Int64], limit: Int, exclude: Set<NodeID> = []) {
            self.vector = Dictionary(uniqueKeysWithValues: vector.map { ($0.key.rawValue, $0.value) })
            self.limit = limit
            self.exclude = exclude.isEmpty ? nil : exclude.map(\.rawValue).sorted()
        }

        /// The vector, its node ids and sequences checked; an excluded origin is claimed
        /// to be held in full.
        public func nodeVector() throws(SyncError) -> [NodeID: Int64] {
            var vector = try SyncMessages.nodeVector(self.vector, field: "vector")
            guard (exclude?.count ?? 0) <= maximumOrigins else { throw .malformed("exclude: at most \(maximumOrigins) origins") }
            for text in exclude ?? [] {
                guard let node = NodeID(rawValue: text) else { throw .malformed("exclude: '\(text.prefix(64))' is not a node id") }
                vector[node] = .max
            }
            return vector
        }
    }

    /// A version vector from outside, checked: node ids, sequences from 0 to ``maximumSequence``.
    public static func nodeVector(_ vector: [String: Int64], field: String) throws(SyncError) -> [NodeID: Int64] {
        guard vector.count <= maximumOrigins else { throw .malformed("\(field): at most \(maximumOrigins) origins") }
        var checked: [NodeID: Int64] = [:]
        for (text, seq) in vector {
            guard let node = NodeID(rawValue: text), (0...maximumSequence).contains(seq) else {
                throw .malformed("\(field).\(text.prefix(64)): a node id and a sequence from 0 to \(maximumSequence)")
            }
            checked[node] = seq
        }
        return checked
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
        /// The checkpoints the responder signed, confirmed or holds as evidence
        /// (``CheckpointStore/gossip()``); absent from nodes that predate witnessing.
        public var checkpoints: [WireCheckpoint]?

        public init(events: [WireEvent], more: Bool, vector: [NodeID: Int64], checkpoints: [SignedCheckpoint] = []) {
            self.events = events
            self.more = more
            self.vector = Dictionary(uniqueKeysWithValues: vector.map { ($0.key.rawValue, $0.value) })
            self.checkpoints = checkpoints.isEmpty ? nil : checkpoints.map(WireCheckpoint.init)
        }

        /// The checkpoints that parse, at most ``maximumCheckpoints`` (a malformed one is
        /// left out, the others kept: their signatures are checked where they are kept).
        public func parsedCheckpoints() -> [SignedCheckpoint] {
            (checkpoints ?? []).prefix(SyncMessages.maximumCheckpoints).compactMap { try? $0.checkpoint() }
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
            if let checkpoints {
                json.append(contentsOf: #","checkpoints":"#.utf8)
                json.append(try JSONEncoder().encode(checkpoints))
            }
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

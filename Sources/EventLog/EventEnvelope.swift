import CaseDomain
import Foundation

/// What an origin node signs: the envelope of DESIGN.md without the hash and signature.
///
/// Its ``canonicalBytes()`` are computed once, when the event is authored; from then on
/// the stored bytes are the truth and the fields are read from them.
public struct EventEnvelope: Hashable, Sendable {
    public var eventId: UUID
    public var originNode: NodeID
    public var originSeq: Int64
    public var streamId: String
    public var streamVersion: Int64
    public var type: String
    public var schemaVersion: Int
    public var recordedAt: Timestamp
    public var actor: Actor
    public var body: JSONValue
    public var prevHash: EventHash

    public init(
        eventId: UUID, originNode: NodeID, originSeq: Int64, streamId: String, streamVersion: Int64,
        type: String, schemaVersion: Int, recordedAt: Timestamp, actor: Actor, body: JSONValue, prevHash: EventHash
    ) {
        self.eventId = eventId
        self.originNode = originNode
        self.originSeq = originSeq
        self.streamId = streamId
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.actor = actor
        self.body = body
        self.prevHash = prevHash
    }

    /// The envelope as a JSON object with DESIGN.md's field names.
    public var jsonValue: JSONValue {
        .object([
            "eventId": .string(eventId.uuidString.lowercased()),
            "originNode": .string(originNode.rawValue),
            "originSeq": .integer(originSeq),
            "streamId": .string(streamId),
            "streamVersion": .integer(streamVersion),
            "type": .string(type),
            "schemaVersion": .integer(Int64(schemaVersion)),
            "recordedAt": .string(recordedAt.description),
            "actor": actor.jsonValue,
            "body": body,
            "prevHash": .string(prevHash.hex),
        ])
    }

    /// The canonical JSON bytes that are hashed, signed and stored.
    public func canonicalBytes() throws(CanonicalJSON.Error) -> [UInt8] {
        try CanonicalJSON.encode(jsonValue)
    }

    /// Reads an envelope from stored or received bytes, which must be its canonical spelling.
    public init(canonicalBytes bytes: [UInt8]) throws(EnvelopeError) {
        try self.init(bytes: bytes, requireCanonical: true)
    }

    /// Reads an envelope; `requireCanonical` false skips re-spelling it to compare, for
    /// bytes this node stored after checking them (`tongban verify` checks them again).
    init(bytes: [UInt8], requireCanonical: Bool) throws(EnvelopeError) {
        let value: JSONValue
        do { value = try CanonicalJSON.decode(bytes) } catch { throw .malformed(error.description) }
        func field<T>(_ name: String, _ read: (JSONValue) -> T?) throws(EnvelopeError) -> T {
            guard let member = value[name], let result = read(member) else { throw .badField(name) }
            return result
        }
        self.init(
            eventId: try field("eventId") { $0.stringValue.flatMap(UUID.init(hyphenatedHex:)) },
            originNode: try field("originNode") { $0.stringValue.flatMap(NodeID.init(rawValue:)) },
            originSeq: try field("originSeq") { $0.integerValue.flatMap { $0 > 0 ? $0 : nil } },
            streamId: try field("streamId") { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } },
            streamVersion: try field("streamVersion") { $0.integerValue.flatMap { $0 > 0 ? $0 : nil } },
            type: try field("type") { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } },
            schemaVersion: try field("schemaVersion") { $0.integerValue.flatMap { $0 > 0 ? Int($0) : nil } },
            recordedAt: try field("recordedAt") { $0.stringValue.flatMap(Timestamp.init(iso8601:)) },
            actor: try field("actor") { Actor(jsonValue: $0) },
            body: try field("body") { $0 },
            prevHash: try field("prevHash") { $0.stringValue.flatMap(EventHash.init(hex:)) }
        )
        guard case .object(let members) = value, members.count == 11 else { throw .malformed("unexpected members") }
        guard !requireCanonical || (try? canonicalBytes()) == bytes else { throw .notCanonical }
    }
}

/// Why bytes are not an event envelope.
public enum EnvelopeError: Error, Hashable, CustomStringConvertible {
    case malformed(String)
    case badField(String)
    case notCanonical

    public var description: String {
        switch self {
        case .malformed(let reason): "envelope is not valid JSON: \(reason)"
        case .badField(let name): "envelope field '\(name)' is missing or invalid"
        case .notCanonical: "envelope bytes are not in canonical form"
        }
    }
}

extension UUID {
    /// Reads the 8-4-4-4-12 hexadecimal form (either case), as `init(uuidString:)` does,
    /// without the C scanner behind it: every stored event's id goes through here.
    init?(hyphenatedHex text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var high: UInt8?
        var count = 0
        for character in text.utf8 {
            defer { count += 1 }
            if count == 8 || count == 13 || count == 18 || count == 23 {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard count == 36, bytes.count == 16 else { return nil }
        self.init(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                         bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

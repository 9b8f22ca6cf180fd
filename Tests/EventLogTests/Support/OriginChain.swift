import CaseDomain
import EventLog
import Foundation
import TestSupport

/// Authors a correctly chained and signed sequence of events for one origin, as a peer
/// node would send them; tests then corrupt copies of them.
struct OriginChain {
    /// The key that signs the next event (a test may change it, as a key change does).
    var key: NodeSigningKey
    private(set) var events: [SignedEvent] = []
    private var streamVersions: [String: Int64] = [:]

    init(_ node: String) {
        self.key = TestDatabase.key(node)
    }

    init(key: NodeSigningKey) {
        self.key = key
    }

    /// Appends one event to `stream` (its next version unless `version` is given).
    @discardableResult
    mutating func add(to stream: String, version: Int64? = nil, prevHash: EventHash? = nil, type: String = "TestEventRecorded",
                      schemaVersion: Int = 1, staff: String = "peer", body: JSONValue? = nil) throws -> SignedEvent {
        let streamVersion = version ?? streamVersions[stream, default: 0] + 1
        streamVersions[stream] = streamVersion
        let envelope = EventEnvelope(
            eventId: .version7(at: Timestamp(Date())), originNode: key.node, originSeq: Int64(events.count + 1),
            streamId: stream, streamVersion: streamVersion, type: type, schemaVersion: schemaVersion,
            recordedAt: Timestamp(Date()), actor: Actor(centre: CentreID(rawValue: "\(key.node)-municipal")!, staff: staff),
            body: body ?? .object(["note": .string("from \(key.node)")]), prevHash: prevHash ?? events.last?.hash ?? .genesis
        )
        let event = try SignedEvent(signing: envelope, with: key)
        events.append(event)
        return event
    }
}

extension SignedEvent {
    /// A copy with other bytes, hash or signature (no checks: for tampering tests).
    func tampered(bytes: [UInt8]? = nil, hash: EventHash? = nil, signature: [UInt8]? = nil) throws -> SignedEvent {
        try SignedEvent(canonicalBytes: bytes ?? canonicalBytes, hash: hash ?? self.hash, signature: signature ?? self.signature)
    }
}

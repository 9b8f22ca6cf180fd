import CaseDomain
import EventLog
import Logging
import Projections

/// Records the receipts of requests sent to this node's centres (送达): delivered when the
/// request is in the log (``DeliveryClerk`` finds those still to record), opened when a
/// staff member of the recipient first reads it. Each is written once: a receipt's stream
/// is named by its request, and its events take versions 1 and 2.
package struct DeliveryReceipts: Sendable {
    private let store: StreamStore
    private let logger: Logger

    /// What was recorded of a receipt: its event's time and hash (its verification code).
    package struct Recorded: Sendable, Hashable {
        package var at: Timestamp
        package var code: String
    }

    /// Records what the receipt of `request` lacks: its delivery, and the opening by
    /// `staff` when given; a receipt already complete records nothing. The caller answers
    /// only for this node's centres (the clerk asks for theirs, a reader is one of them).
    /// Returns the opening when one was recorded; readers racing past three times are told
    /// to retry.
    @discardableResult
    package func record(_ request: Delivery.Request, openedBy staff: String?) async throws -> Recorded? {
        let stream = request.stream
        for _ in 0..<3 {
            let existing = try await store.reader.streamVersion(stream)
            // Opened only while nothing followed the request in its record: an answer (the
            // recipient's own, or the sender's cancel, also written here) ends it. Projections
            // ignore an opening that comes after the answer all the same (both are this node's,
            // so every node sees them in this order).
            let unanswered = staff == nil ? false : try await store.reader.streamVersion(request.record) == request.requestVersion
            let events = Delivery.events(for: request, recordedSoFar: existing, openedBy: unanswered ? staff : nil)
            guard !events.isEmpty else { return nil }
            var newEvents: [NewEvent] = []
            for event in events {
                let actor = if case .opened(let opened) = event { Actor(centre: request.centre, staff: opened.staff) } else { Actor.system }
                newEvents += try StreamStore.append(stream, expectedVersion: existing, events: [event], actor: actor,
                                                    record: request.record, keys: .none).events
            }
            do {
                let outcome = try await store.commit([StreamAppend(stream: stream, expectedVersion: existing, events: newEvents)])
                guard unanswered, let opened = outcome.first?.events.last else { return nil }
                return Recorded(at: opened.envelope.recordedAt, code: opened.hash.hex)
            } catch .conflict {
                continue // another request recorded part of it first: look again
            }
        }
        throw WorkflowError.unavailable("the receipt of \(request.record) version \(request.requestVersion) is being written by others; retry")
    }

    /// Notes that `staff` read a case: each request of it to the staff member's centre not
    /// yet answered nor opened (as the case view holds it) is opened now.
    package func noteReading(of deliveries: [DeliveryRecord], by staff: StaffMember) async -> [Delivery.Request: Recorded] {
        await noteReading(of: deliveries.filter { $0.requestedAt != nil && !$0.answered && $0.openedAt == nil }.compactMap(\.request), by: staff)
    }

    /// Notes that `staff` read `requests`: those to the staff member's centre are opened
    /// now unless they were before. A receipt that cannot be written is logged, never a
    /// failed read; the next read tries again. Auditors' reads open nothing.
    package func noteReading(of requests: [Delivery.Request], by staff: StaffMember) async -> [Delivery.Request: Recorded] {
        guard staff.role != .auditor else { return [:] }
        var recorded: [Delivery.Request: Recorded] = [:]
        for request in requests where request.centre == staff.centre {
            do {
                if let opened = try await record(request, openedBy: staff.staff) { recorded[request] = opened }
            } catch {
                logger.warning("could not record the opening of a delivery", metadata: ["record": "\(request.record)", "error": "\(error)"])
            }
        }
        return recorded
    }

    /// Receipts written through `store`; a failed opening is logged to `logger`.
    package init(store: StreamStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }
}

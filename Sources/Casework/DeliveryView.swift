import CaseDomain
import Projections

/// A request sent to a centre as the case view shows it (送达): when it was sent, when the
/// recipient's node recorded its arrival and when its staff first opened it, each with the
/// verification code (`GET /verify/{code}`) of the receipt's event.
package struct DeliveryView: Encodable, Sendable {
    package var kind: Delivery.Kind
    /// The investigation request, for a receipt of one.
    package var investigationId: String?
    /// The stream version of the event that sent it (of the case, or 1 of the request).
    package var requestVersion: Int64
    package var fromCentre: String?
    package var toCentre: String
    package var requestedAt: Timestamp
    /// The recipient answered the request (or the sender withdrew it).
    package var answered: Bool
    package var deliveredAt: Timestamp?
    package var deliveredCode: String?
    package var openedAt: Timestamp?
    package var openedBy: String?
    package var openedCode: String?

    /// The view of a projected request; `nil` while only its receipt is projected.
    package init?(_ record: DeliveryRecord) {
        guard let requestedAt = record.requestedAt else { return nil }
        kind = record.kind
        investigationId = record.kind == .investigation ? StreamID.kind(of: record.record)?.id : nil
        requestVersion = record.requestVersion
        fromCentre = record.sender
        toCentre = record.recipient
        self.requestedAt = requestedAt
        answered = record.answered
        deliveredAt = record.deliveredAt
        deliveredCode = record.deliveredHash
        openedAt = record.openedAt
        openedBy = record.openedBy
        openedCode = record.openedHash
    }
}

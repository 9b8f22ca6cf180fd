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

extension CaseView {
    /// Shows the openings this reading recorded, which the case view read before them lacks;
    /// an opening implies the delivery, recorded with it when it was not yet.
    package mutating func noteOpenings(_ openings: [Delivery.Request: DeliveryReceipts.Recorded], by staff: StaffMember) {
        guard !openings.isEmpty else { return }
        for index in deliveries.indices {
            let delivery = deliveries[index]
            // One case view holds one case: a transfer is known by its version, a request by its id.
            guard delivery.openedAt == nil, let opened = openings.first(where: { request, _ in
                request.centre.rawValue == delivery.toCentre && request.kind == delivery.kind && request.requestVersion == delivery.requestVersion
                    && (request.kind == .transfer || StreamID.kind(of: request.record)?.id == delivery.investigationId)
            })?.value else { continue }
            deliveries[index].openedAt = opened.at
            deliveries[index].openedBy = staff.staff
            deliveries[index].openedCode = opened.code
            if deliveries[index].deliveredAt == nil { deliveries[index].deliveredAt = opened.at }
        }
    }
}

import Federation
import Logging

/// Hands record keys over at once after a command that involves another node (a transfer,
/// an investigation request) or erases a case: runs the key custodian and delivers what it
/// owes, so the grant reaches the peer with the event rather than a round later. Failures
/// are left to the node's background custodian, which retries.
public struct KeyHandOver: Sendable {
    public let custodian: KeyCustodian
    public let delivery: KeyGrantDelivery?

    public init(custodian: KeyCustodian, delivery: KeyGrantDelivery?) {
        self.custodian = custodian
        self.delivery = delivery
    }

    /// Owes and delivers what the log now asks for.
    func now(logger: Logger) async {
        do {
            try await custodian.catchUp()
        } catch {
            logger.warning("key hand-over deferred to the custodian", metadata: ["error": "\(error)"])
            return
        }
        await delivery?.deliver()
    }
}

import Federation
import Logging

/// Hands record keys over at once after a command that involves another node (a transfer,
/// an investigation request) or erases a case: runs the key custodian and delivers what it
/// owes, so the grant reaches the peer with the event rather than a round later. Failures
/// are left to the node's background custodian, which retries.
public struct KeyHandOver: Sendable {
    public let custodian: KeyCustodian
    public let delivery: KeyGrantDelivery?

    /// `delivery` is `nil` on a node that does not sync: it owes, and hands nothing over.
    public init(custodian: KeyCustodian, delivery: KeyGrantDelivery?) {
        self.custodian = custodian
        self.delivery = delivery
    }

    /// Owes what the log now asks for, then delivers it in the background: a peer refuses
    /// a grant until the event that involves it has arrived (its sync pulls at once, being
    /// told), so delivery is retried at growing intervals for about three seconds; what is
    /// still owed then is the background custodian's.
    package func now(logger: Logger) async {
        do {
            try await custodian.catchUp()
        } catch {
            logger.warning("key hand-over deferred to the custodian", metadata: ["error": "\(error)"])
            return
        }
        guard let delivery else { return }
        Task {
            for delay in [0, 50, 100, 200, 400, 800, 1600] {
                try? await Task.sleep(for: .milliseconds(delay))
                await delivery.deliver()
                guard let owed = try? await delivery.owed(), owed > 0 else { return }
            }
        }
    }
}

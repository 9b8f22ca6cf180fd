import Logging
import PostgresNIO

/// Why a node stops writing to the host it was writing to.
public enum PrimaryLoss: Sendable, Equatable, CustomStringConvertible {
    /// The host has not answered for `seconds` seconds.
    case unreachable(DatabaseURL.Host, reason: String, seconds: Int)
    /// The host answers but no longer takes writes (it became a standby, or read-only).
    case readOnly(DatabaseURL.Host)

    public var description: String {
        switch self {
        case .unreachable(let host, let reason, let seconds): "\(host) has not answered for \(seconds) s (\(reason))"
        case .readOnly(let host): "\(host) no longer takes writes"
        }
    }
}

/// Watches the host a node writes to, on a connection of its own (a pool busy with
/// requests never delays the probe), and says when the node should look for the primary
/// again: the host has not answered for ``patience``, or answers read-only.
public struct PrimaryWatch: Sendable {
    public let url: DatabaseURL
    public let host: DatabaseURL.Host
    /// Time between probes.
    public var interval: Duration
    /// How long the host may go unanswering before it counts as lost: long enough that a
    /// busy server is not taken for a dead one.
    public var patience: Duration
    /// How long one probe may take.
    public var timeout: Duration

    public init(url: DatabaseURL, host: DatabaseURL.Host, interval: Duration = .seconds(1), patience: Duration = .seconds(4),
                timeout: Duration = .seconds(2)) {
        self.url = url
        self.host = host
        self.interval = interval
        self.patience = patience
        self.timeout = timeout
    }

    /// Returns once the host is lost; `nil` when the calling task is cancelled first.
    public func loss(logger: Logger) async -> PrimaryLoss? {
        var configuration = url.configuration(for: host)
        configuration.options.maximumConnections = 1
        configuration.options.connectTimeout = timeout
        let client = PostgresClient(configuration: configuration)
        return await withTaskGroup(of: PrimaryLoss?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let clock = ContinuousClock()
            var silentSince: ContinuousClock.Instant?
            while !Task.isCancelled {
                let started = clock.now
                switch await HostState.of(client, timeout: timeout, logger: logger) {
                case .writable:
                    silentSince = nil
                case .readOnly:
                    return .readOnly(host)
                case .unreachable(let reason):
                    let since = silentSince ?? started
                    silentSince = since
                    let silent = since.duration(to: clock.now)
                    logger.warning("the database primary does not answer", metadata: ["host": "\(host)", "error": "\(reason)"])
                    if silent >= patience { return .unreachable(host, reason: reason, seconds: Int(silent.components.seconds)) }
                }
                try? await Task.sleep(until: started + interval, clock: clock)
            }
            return nil
        }
    }
}

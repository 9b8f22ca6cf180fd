import Logging
import PostgresNIO

/// What one host of a database URL answered when asked whether it takes writes.
public enum HostState: Sendable, Equatable, CustomStringConvertible {
    /// It takes writes. `synchronousStandbys` is its `synchronous_standby_names` and
    /// `synchronousCommit` its `synchronous_commit`: together they say whether a commit
    /// waits until a standby has the write.
    case writable(synchronousStandbys: String, synchronousCommit: String)
    /// It answers but refuses writes (`transaction_read_only`): a standby, or a primary
    /// made read-only.
    case readOnly(inRecovery: Bool)
    /// It did not answer, or refused the connection, within the probe's time.
    case unreachable(String)

    public var description: String {
        switch self {
        case .writable(let standbys, let commit):
            standbys.isEmpty ? "takes writes, with no synchronous standby" : "takes writes, synchronous standby \(standbys), synchronous_commit \(commit)"
        case .readOnly(let inRecovery): inRecovery ? "read-only (a standby)" : "read-only"
        case .unreachable(let reason): "unreachable: \(reason)"
        }
    }

    /// Whether an acknowledged commit on this host is on a standby too: a synchronous
    /// standby is named and a commit waits for it to flush (`on`) or apply (`remote_apply`).
    public var waitsForAStandby: Bool {
        guard case .writable(let standbys, let commit) = self else { return false }
        return !standbys.isEmpty && ["on", "remote_apply"].contains(commit)
    }

    /// Asks the server behind `client` (running) within `timeout`.
    static func of(_ client: PostgresClient, timeout: Duration, logger: Logger) async -> HostState {
        await withTaskGroup(of: HostState?.self) { group in
            group.addTask {
                do {
                    let rows = try await client.query("""
                        SELECT current_setting('transaction_read_only'), pg_is_in_recovery(),
                               current_setting('synchronous_standby_names'), current_setting('synchronous_commit')
                        """, logger: logger)
                    for try await (readOnly, inRecovery, standbys, commit) in rows.decode((String, Bool, String, String).self) {
                        return readOnly == "off" ? .writable(synchronousStandbys: standbys, synchronousCommit: commit) : .readOnly(inRecovery: inRecovery)
                    }
                    return .unreachable("no answer to the probe")
                } catch {
                    return .unreachable(describePostgresError(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .unreachable("no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            for await state in group {
                if let state { return state }
            }
            return .unreachable("the probe was cancelled")
        }
    }
}

/// Finds the host of a database URL that a node may use: the first, in the URL's order,
/// that answers and — with `target_session_attrs=read-write` — takes writes. Each host is
/// asked on a connection of its own, so a dead host costs at most ``timeout``.
public struct PrimaryLocator: Sendable {
    public let url: DatabaseURL
    /// How long one host may take to answer.
    public var timeout: Duration

    public init(url: DatabaseURL, timeout: Duration = .seconds(3)) {
        self.url = url
        self.timeout = timeout
    }

    /// What `host` answers now.
    public func probe(_ host: DatabaseURL.Host, logger: Logger) async -> HostState {
        var configuration = url.configuration(for: host)
        configuration.options.maximumConnections = 1
        configuration.options.connectTimeout = timeout
        configuration.options.keepAliveBehavior = nil
        let client = PostgresClient(configuration: configuration)
        return await withTaskGroup(of: HostState?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return await HostState.of(client, timeout: timeout, logger: logger)
        }
    }

    /// The first usable host and what it answered; throws naming what every host answered.
    public func locate(logger: Logger) async throws(NoUsableHost) -> (host: DatabaseURL.Host, state: HostState) {
        var answers: [(DatabaseURL.Host, HostState)] = []
        for host in url.hosts {
            let state = await probe(host, logger: logger)
            switch state {
            case .writable: return (host, state)
            case .readOnly where url.targetSessionAttributes == .any: return (host, state)
            case .readOnly, .unreachable: answers.append((host, state))
            }
        }
        throw NoUsableHost(url: url, answers: answers)
    }
}

/// No host of a database URL can be used now.
public struct NoUsableHost: Error, CustomStringConvertible {
    public let url: DatabaseURL
    /// Each host with what it answered, in the URL's order.
    public let answers: [(DatabaseURL.Host, HostState)]

    public var description: String {
        let wanted = url.targetSessionAttributes == .readWrite ? "takes writes" : "answers"
        return "no host of \(url) \(wanted): " + answers.map { "\($0.0) \($0.1)" }.joined(separator: "; ")
    }
}

import ArgumentParser
import EventLog
import Foundation
import Logging
import NodeServer
import ServiceLifecycle

/// A served node over a primary and its standbys (a database URL with several hosts and
/// `target_session_attrs=read-write`): it writes to the host that takes writes, watches it
/// (``PrimaryWatch``), and when it is lost stops its services and assembles them anew over
/// the host promoted in its place — on the same listener, as a reload does. Nothing of the
/// old round is kept: the new appender reads the log's heads (next `originSeq`, chain head)
/// from the new primary, so it never continues from a head the standby never received.
/// While no host takes writes, every request is answered 503 (``NodeServer/failoverApplication``).
extension ServeCommand {
    /// A database URL serve can write through: one host, or several that it follows with
    /// `target_session_attrs=read-write` (with `any`, it could settle on a standby).
    static func requireWritable(_ url: DatabaseURL) throws {
        guard url.hosts.count == 1 || url.targetSessionAttributes == .readWrite else {
            throw ValidationError("--database-url \(url): a node writes, so a URL with several hosts needs target_session_attrs=read-write")
        }
    }

    /// The host of `url` that takes writes, probed every `interval` until one does, while
    /// the listener answers 503; `nil` when SIGTERM or SIGINT comes first.
    func awaitPrimary(_ url: DatabaseURL, configuration: NodeServer.Configuration, host: String, port: Int, logger: Logger,
                      interval: Duration = .milliseconds(500)) async throws -> DatabaseURL.Host? {
        let locator = PrimaryLocator(url: url, timeout: .seconds(2))
        var found = try? await locator.locate(logger: logger)
        if found == nil {
            print("no host of \(url) takes writes: answering 503 until one does")
            let status = FailoverStatus("looking for the primary among \(url.hosts.map(\.description).joined(separator: ", "))")
            let group = ServiceGroup(services: [try NodeServer.failoverApplication(configuration: configuration, status: status, host: host, port: port, logger: logger)],
                                     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            found = try await withThrowingTaskGroup(of: (host: DatabaseURL.Host, state: HostState)?.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return nil
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        do { return try await locator.locate(logger: logger) } catch {
                            await status.set("\(error)")
                            try? await Task.sleep(for: interval)
                        }
                    }
                    return nil
                }
                let first = try await tasks.next() ?? nil
                // The 503s stop before the node's services take the listener back.
                await group.triggerGracefulShutdown()
                tasks.cancelAll()
                return first
            }
        }
        guard let found else { return nil }
        Self.announce(found.host, found.state, of: url, logger: logger)
        return found.host
    }

    /// Says which host the node writes to, and warns when a commit there does not wait for
    /// a standby (an acknowledged write would then live on that one server).
    static func announce(_ host: DatabaseURL.Host, _ state: HostState, of url: DatabaseURL, logger: Logger) {
        print("database primary \(host): \(state)")
        guard !state.waitsForAStandby else { return }
        logger.warning("the database primary waits for no standby", metadata: ["host": "\(host)", "state": "\(state)"])
        print("WARNING: commits on \(host) do not wait for a synchronous standby (synchronous_standby_names, synchronous_commit on): "
              + "a write acknowledged now is on that one server until a standby streams it")
    }
}

import ArgumentParser
import Federation
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The SIGHUPs a served node has received and not yet acted on. UnixSignals allows one
/// iterator of its signals per process, so one task follows them for the process's life
/// (``follow(_:)``) and each round of services waits here for the next one.
actor ReloadRequests {
    private var pending = false
    private var waiter: CheckedContinuation<Bool, Never>?

    /// Passes every SIGHUP of `signals` on until they end.
    func follow(_ signals: UnixSignalsSequence) async {
        for await _ in signals { arrived() }
    }

    private func arrived() {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: true)
        } else {
            pending = true
        }
    }

    /// Waits for the next SIGHUP (`true`), or for the waiting task's cancellation (`false`).
    func next() async -> Bool {
        if pending {
            pending = false
            return true
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume(returning: false) } else { waiter = continuation }
            }
        } onCancel: {
            Task { await self.cancelWaiter() }
        }
    }

    private func cancelWaiter() {
        waiter?.resume(returning: false)
        waiter = nil
    }
}

/// A served node reloads its federation file on SIGHUP (`tongban config reload` sends it):
/// a node added or removed, a key marked, a policy changed, without the process ending. The
/// new file is checked as at start-up first; one that does not pass is refused, logged and
/// printed, and the node goes on with the file it has. A file that passes stops the node's
/// services gracefully (requests under way are answered) and assembles them anew over it,
/// on the same listener address, database and keys.
extension ServeCommand {
    /// Runs `services` until SIGTERM or SIGINT (`nil`) or a SIGHUP whose file `check`
    /// accepts (that file, once the services have stopped).
    func serve(_ services: [any Service], reloads: ReloadRequests, logger: Logger,
               check: @escaping @Sendable () async throws -> FederationFile) async throws -> FederationFile? {
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        return try await withThrowingTaskGroup(of: FederationFile?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                while await reloads.next() {
                    do { return try await check() } catch {
                        logger.error("federation file not reloaded: the node goes on with the file it has", metadata: ["error": "\(error)"])
                        print("reload refused: \(error)")
                    }
                }
                return nil
            }
            let first = try await tasks.next() ?? nil
            if first != nil {
                await group.triggerGracefulShutdown()
                _ = try await tasks.next()
            }
            tasks.cancelAll()
            return first
        }
    }

    /// The federation file as it is now, if this node may go on with it: it names this node
    /// with a key its chain accepts, and its URLs fit the node's transport.
    func reloadedFederation(tls: FederationTLS?) async throws -> FederationFile {
        let node = try identity.resolved()
        try await node.requireCurrentKey(in: try database.resolved(), key: identity.key, federation: identity.federation)
        if let problem = TransportPolicy.schemeProblem(federation: node.federation, path: identity.federation, https: tls != nil) {
            throw ValidationError(problem)
        }
        return node.federation
    }

    /// Writes this process's id to `path` (replacing what an earlier run left).
    static func writePID(to path: String) throws {
        do { try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ValidationError("--pid-file \(path): cannot write it (\(error.localizedDescription))")
        }
    }
}

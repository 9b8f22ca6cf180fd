import ArgumentParser
import EventLog
import Federation
import Foundation
import Logging
import PostgresNIO
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
    /// How a round of the node's services ended.
    enum RoundEnd {
        /// SIGTERM or SIGINT: the process ends.
        case stopped
        /// A SIGHUP brought a federation file the node goes on with.
        case reloaded(FederationFile)
        /// The database host stopped taking writes (``PrimaryWatch``): the node looks for the new primary.
        case primaryLost(PrimaryLoss)
    }

    /// What ends a round, as it happens.
    private enum RoundEvent: Sendable {
        case servicesEnded((any Error)?)
        case reloaded(FederationFile)
        case primaryLost(PrimaryLoss)
        case stopLimitPassed
    }

    /// Runs `services` over `client` until SIGTERM or SIGINT, a SIGHUP whose file `check`
    /// accepts, or — with a `watch` — the loss of the database primary. The client runs
    /// beside the services and stops after them, except when the primary is lost: then it
    /// stops first, so that requests waiting for a connection fail at once (a 503), and the
    /// services' graceful stop is waited for at most ``failoverStopLimit``: a client holding
    /// a connection open must not keep the node from its new primary (what is left of the
    /// old round ends on its own once that connection closes; the listener is already shut).
    func serve(_ services: [any Service], client: PostgresClient, reloads: ReloadRequests, watch: PrimaryWatch?, logger: Logger,
               check: @escaping @Sendable () async throws -> FederationFile) async throws -> RoundEnd {
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let (events, event) = AsyncStream.makeStream(of: RoundEvent.self)
        let running = Task {
            do {
                try await group.run()
                event.yield(.servicesEnded(nil))
            } catch {
                event.yield(.servicesEnded(error))
            }
        }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await client.run() }
            tasks.addTask {
                while await reloads.next() {
                    do {
                        event.yield(.reloaded(try await check()))
                        return
                    } catch {
                        logger.error("federation file not reloaded: the node goes on with the file it has", metadata: ["error": "\(error)"])
                        print("reload refused: \(error)")
                    }
                }
            }
            if let watch {
                tasks.addTask {
                    if let loss = await watch.loss(logger: logger) { event.yield(.primaryLost(loss)) }
                }
            }
            defer { tasks.cancelAll() }
            var iterator = events.makeAsyncIterator()
            func servicesEnded() async -> (any Error)?? {
                while let next = await iterator.next() {
                    if case .servicesEnded(let error) = next { return .some(error) }
                    if case .stopLimitPassed = next { return nil }
                }
                return nil
            }
            switch await iterator.next() {
            case .reloaded(let file):
                await group.triggerGracefulShutdown()
                if case .some(.some(let error)) = await servicesEnded() { throw error }
                return .reloaded(file)
            case .primaryLost(let loss):
                tasks.cancelAll()
                await group.triggerGracefulShutdown()
                let limit = Task {
                    try await Task.sleep(for: Self.failoverStopLimit)
                    event.yield(.stopLimitPassed)
                }
                defer { limit.cancel() }
                if await servicesEnded() == nil {
                    running.cancel()
                    logger.warning("the services did not stop within \(Self.failoverStopLimit) of losing the primary: going on without them")
                }
                return .primaryLost(loss)
            case .servicesEnded(let error?):
                throw error
            case .servicesEnded(nil), .stopLimitPassed, nil:
                return .stopped
            }
        }
    }

    /// How long the services may take to stop once the primary is lost, before they are cancelled.
    static let failoverStopLimit: Duration = .seconds(10)

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

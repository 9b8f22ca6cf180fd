import Foundation

/// Runs blocking work — a child process, `createdb`, `dropdb` — on a thread of its own and
/// awaits its result. On two cores the concurrency pool has two threads: a test that waited
/// for a child process on one of them stalled every other test's servers and clients (a node
/// restarted in one test did not answer `/ready` for minutes while other tests dropped their
/// databases).
public func onOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}

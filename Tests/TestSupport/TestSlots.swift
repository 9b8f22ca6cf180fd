import Foundation

/// How many tests hold a database at once (`TONGBAN_TEST_SLOTS`, 8 by default).
///
/// swift-testing starts every test at once: on two cores a hundred tests each creating a
/// database, opening pools and serving nodes made every one of them wait minutes
/// (a two-second test took two minutes) and PostgreSQL hold hundreds of connections. A
/// test waits for a slot before its first database; the further databases of a test
/// (a federation's nodes) come with the slot it holds.
actor TestSlots {
    static let shared = TestSlots(capacity: ProcessInfo.processInfo.environment["TONGBAN_TEST_SLOTS"].flatMap(Int.init).map { max(1, $0) } ?? 8)

    /// Whether the current task already holds a slot.
    @TaskLocal static var isHeld = false

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) {
        free = capacity
    }

    /// Runs `body` holding a slot: waits for one unless the task holds one already.
    static func withSlot<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        if isHeld { return try await body() }
        await shared.acquire()
        do {
            let result = try await $isHeld.withValue(true) { try await body() }
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

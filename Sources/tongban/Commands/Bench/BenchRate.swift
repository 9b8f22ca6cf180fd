extension BenchFigures {
    /// Runs `clients` workers for `seconds`; each call of `work(worker, round)` returns how
    /// many units (events, rows) it did. Returns units per second over the whole run.
    static func rate(clients: Int, seconds: Double, work: @escaping @Sendable (Int, Int) async throws -> Int) async throws -> Double {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var written = 0
                    var round = 0
                    while ContinuousClock.now < deadline {
                        written += try await work(worker, round)
                        round += 1
                    }
                    return written
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / Self.seconds(ContinuousClock.now - start)
    }
}

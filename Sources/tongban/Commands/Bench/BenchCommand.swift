import ArgumentParser

/// `tongban bench`: measurements against plain PostgreSQL doing the same work in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks on a private cluster; prints '<name> <value> <unit>' and 'ratio_<name> <value>' lines.",
        subcommands: [AppendBenchmark.self, ReplayBenchmark.self, InboxBenchmark.self, SyncBenchmark.self, HTTPBenchmark.self,
                      FederationBenchmark.self]
    )
}

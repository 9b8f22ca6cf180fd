import ArgumentParser
import LocalPostgres

/// `tongban pg`: the private PostgreSQL cluster that dev, tests and benchmarks use.
struct PostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg",
        abstract: "Start, stop or inspect the private PostgreSQL cluster (development and tests only).",
        subcommands: [Start.self, Stop.self, Status.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (first time) and start the cluster; reuses a running one.")
        @OptionGroup var options: ClusterOptions

        func run() async throws {
            let cluster = try options.cluster()
            let started = try cluster.start { print($0) }
            print(started ? "PostgreSQL started on 127.0.0.1:\(cluster.port) (\(cluster.dataDirectory))"
                          : "PostgreSQL already running on 127.0.0.1:\(cluster.port) (\(cluster.dataDirectory))")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster if it runs.")
        @OptionGroup var options: ClusterOptions

        func run() async throws {
            let cluster = try options.cluster()
            try cluster.stop()
            print("PostgreSQL stopped (\(cluster.dataDirectory))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster runs; exit 3 if not.")
        @OptionGroup var options: ClusterOptions

        func run() async throws {
            let cluster = try options.cluster()
            guard cluster.isRunning else {
                print("PostgreSQL is not running (\(cluster.dataDirectory))")
                throw ExitCode(3)
            }
            print("PostgreSQL is running on 127.0.0.1:\(cluster.port) (\(cluster.dataDirectory))")
        }
    }
}

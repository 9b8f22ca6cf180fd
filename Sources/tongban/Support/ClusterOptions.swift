import ArgumentParser
import LocalPostgres

/// Where the private PostgreSQL cluster lives and listens.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The cluster's data directory.", valueName: "dir"))
    var pgData = ".tongban/pg"

    @Option(help: "The cluster's port on 127.0.0.1.")
    var pgPort = 54320

    func cluster() throws -> LocalCluster {
        try LocalCluster(dataDirectory: pgData, port: pgPort)
    }
}

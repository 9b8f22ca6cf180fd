import ArgumentParser
import EventLog
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

/// `--schema-dir`: where the numbered SQL migrations are.
struct SchemaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The directory of numbered SQL migrations.", valueName: "dir"))
    var schemaDir = "schema"

    func migrator() throws -> Migrator {
        try Migrator(directory: schemaDir)
    }
}

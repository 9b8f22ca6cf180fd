import ArgumentParser
import Foundation
import Logging
import Projections

/// `tongban projections`: what the projections could not apply (invariant 10).
struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "The events the projections parked, and applying them again once their cause is fixed.",
        subcommands: [ProjectionsParkedCommand.self, ProjectionsRetryCommand.self]
    )

    /// The projection `name` names, or every one when `nil`.
    static func projections(named name: String?) throws -> [any Projection] {
        guard let name else { return ProjectorService.all }
        guard let projection = ProjectorService.all.first(where: { $0.name == name }) else {
            throw ValidationError("--projection \(name): one of \(ProjectorService.all.map(\.name).joined(separator: ", "))")
        }
        return [projection]
    }
}

/// `tongban projections parked`: every parked event with why it is parked.
struct ProjectionsParkedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parked",
        abstract: "List the events the projections parked: projection, log position, event id, type and why.",
        discussion: """
            An event is parked when this node cannot read it (a type or schema version a newer \
            node wrote) or its projection refuses it; the later events of its stream wait behind \
            it. Reads of a case whose view has a parked event answer 503 until it is applied.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Only this projection's.", valueName: "name"))
    var projection: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        _ = try ProjectionsCommand.projections(named: projection)
    }

    func run() async throws {
        var logger = Logger(label: "tongban.projections")
        logger.logLevel = .warning
        let parked = try await withRunningClient(try database.resolved(), logger: logger) { client in
            try await ParkedEvents(client: client, logger: logger).list(projection: projection)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["parked": parked]), as: UTF8.self))
            return
        }
        guard !parked.isEmpty else {
            print("no parked events")
            return
        }
        for event in parked {
            print("\(event.projection)\tposition \(event.position)\tevent \(event.eventID.uuidString.lowercased())\t\(event.type)\t\(event.reason)")
        }
        print("\(parked.count) parked event(s)")
    }
}

/// `tongban projections retry`: applies the parked events again, in log order.
struct ProjectionsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Apply the parked events again in log order; those that now apply are unparked.",
        discussion: """
            Run it once the cause is fixed (this node upgraded to read a newer event type, say). \
            A stream's parked events are applied in order, so the views converge to what a \
            rebuild gives; the running node's projector waits while a projection is retried. \
            Exits 2 if events are still parked.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Only this projection's parked events.", valueName: "name"))
    var projection: String?

    func validate() throws {
        _ = try ProjectionsCommand.projections(named: projection)
    }

    func run() async throws {
        var logger = Logger(label: "tongban.projections")
        logger.logLevel = .warning
        let projections = try ProjectionsCommand.projections(named: projection)
        let outcomes = try await withRunningClient(try database.resolved(), logger: logger) { client in
            try await Projector(projections: projections, client: client, logger: logger).retryParked()
        }
        for outcome in outcomes {
            print("\(outcome.projection): \(outcome.applied) applied, \(outcome.stillParked) still parked")
        }
        let stillParked = outcomes.reduce(0) { $0 + $1.stillParked }
        print("\(outcomes.reduce(0) { $0 + $1.applied }) applied, \(stillParked) still parked")
        if stillParked > 0 { throw ExitCode(2) }
    }
}

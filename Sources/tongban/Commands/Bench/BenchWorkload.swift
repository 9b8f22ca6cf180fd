import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation
import LocalPostgres
import Logging
import PostgresNIO
import UnixSignals

/// A node's log filled with realistic cases for the benchmarks: each case is decided by
/// the domain (submit, assess, transfer, grant, lawyer, close, …) and stops at a random
/// stage, so the inbox holds a mix of open work. A third of the cases go to one busy centre.
/// Each case's personal data is sealed with a record key of its own, as the node seals it.
struct BenchWorkload {
    let policies: [NodeID: CityPolicy]
    let centres: [CentreID]
    let busyCentre: CentreID
    /// 10:00 on Friday 20 Nov 2026 in China: the domain's "now" for every case.
    static let start = Timestamp(iso8601: "2026-11-20T02:00:00Z")!

    init(federationPath: String) throws {
        try self.init(federation: FederationFile.load(path: federationPath, requirePublicKeys: false))
    }

    /// Cases among the centres of `node` only (every centre of the federation if `nil`):
    /// what one node writes itself.
    init(federation: FederationFile, centresOf node: NodeID? = nil) throws(BenchWorkloadError) {
        policies = federation.policies
        let all = federation.nodes.filter { node == nil || $0.id == node }.flatMap { $0.centres.map(\.id) }
        guard !all.isEmpty else { throw BenchWorkloadError(message: "the federation has no centres\(node.map { " of node \($0)" } ?? "")") }
        centres = all
        busyCentre = CentreID(rawValue: "qingdao-licang").flatMap { all.contains($0) ? $0 : nil } ?? all[0]
    }

    /// The events of case number `index`, as appends to its stream, sealed with `keys`.
    func caseAppend<G: RandomNumberGenerator>(_ index: Int, keys: RecordKeys = .generate(), using generator: inout G) throws -> StreamAppend {
        let intake = Int.random(in: 0..<3, using: &generator) == 0 ? busyCentre : centres.randomElement(using: &generator)!
        let jurisdiction = Int.random(in: 0..<3, using: &generator) == 0 ? busyCentre : centres.randomElement(using: &generator)!
        let applicant = Applicant(name: "申请人\(index)", idNumber: String(format: "37112119800101%04d", index % 10_000), phone: "13800000000",
                                  homeCity: intake.node, groups: [])
        var commands: [(CaseCommand, CentreID)] = [
            (.submit(applicant: applicant, matter: Matter(litigation: true, cause: "traffic-accident", summary: "交通事故赔偿纠纷",
                                                           venue: "人民法院", jurisdictionCentre: jurisdiction),
                     urgent: Int.random(in: 0..<10, using: &generator) == 0, hardship: .promise(statement: "本人承诺经济困难"), documents: [], consent: Consent(shareWithJurisdiction: true, checksByOtherCities: true)), intake),
            (.assess(eligible: true, reason: "符合条件", missing: []), intake),
        ]
        var owner = intake
        if jurisdiction != intake {
            commands.append((.requestTransfer(to: jurisdiction, reason: "管辖"), intake))
            commands.append((.acceptTransfer, jurisdiction))
            owner = jurisdiction
        }
        commands += [
            (.decide(granted: true, reason: "同意"), owner),
            (.assignLawyer(lawyer: "律师\(index % 97)", firm: "律师事务所", chosenByApplicant: false), owner),
            (.collectOriginals, owner),
            (.close(outcome: "调解结案", recoveredAmount: 1_000_000), owner),
            (.archive, owner),
        ]
        let stages = Int.random(in: 1...commands.count, using: &generator)
        var state = CaseState()
        var events: [NewEvent] = []
        for (command, centre) in commands.prefix(stages) {
            let actor = Actor(centre: centre, staff: "bench")
            let context = CaseContext(now: Self.start, actor: actor, policies: policies, allottedNumber: "BENCH-2026-\(index)")
            for event in try CaseLifecycle.decide(command, on: state, context: context) {
                state = CaseLifecycle.evolve(state, event)
                events.append(NewEvent(type: event.type, actor: actor, body: try event.body()))
            }
        }
        return try Self.newCase(events, keys: keys)
    }

    /// The append of a new case's `events`, sealed with `keys`. Its stream is named as the
    /// workflow names one: a version 7 UUID of the moment it is created, so ids (and the
    /// projections' keys) grow in time order as in a node.
    private static func newCase(_ events: [NewEvent], keys: RecordKeys) throws -> StreamAppend {
        let id = UUID.version7(at: Timestamp(Date()))
        let append = StreamAppend(stream: StreamID.caseFile(id).description, expectedVersion: 0, events: events)
        return try BenchSealing.seal(append, record: id.uuidString.lowercased(), keys: keys)
    }

    /// A case submitted and assessed at `intake` and transferred to `target`: an incoming
    /// transfer in the target centre's inbox.
    func transferAppend(_ index: Int, from intake: CentreID, to target: CentreID) throws -> StreamAppend {
        let applicant = Applicant(name: "申请人\(index)", idNumber: String(format: "37112119800101%04d", index % 10_000), phone: "13800000000",
                                  homeCity: intake.node, groups: [])
        let commands: [CaseCommand] = [
            .submit(applicant: applicant, matter: Matter(litigation: true, cause: "traffic-accident", summary: "交通事故赔偿纠纷",
                                                         venue: "人民法院", jurisdictionCentre: target),
                    urgent: false, hardship: .promise(statement: "本人承诺经济困难"), documents: [], consent: Consent(shareWithJurisdiction: true, checksByOtherCities: true)),
            .assess(eligible: true, reason: "符合条件", missing: []),
            .requestTransfer(to: target, reason: "管辖"),
        ]
        let actor = Actor(centre: intake, staff: "bench")
        let context = CaseContext(now: Timestamp(Date()), actor: actor, policies: policies, allottedNumber: nil)
        var state = CaseState()
        var events: [NewEvent] = []
        for command in commands {
            for event in try CaseLifecycle.decide(command, on: state, context: context) {
                state = CaseLifecycle.evolve(state, event)
                events.append(NewEvent(type: event.type, actor: actor, body: try event.body()))
            }
        }
        return try Self.newCase(events, keys: .generate())
    }

    /// Appends `cases` cases through `appender`, `perCall` cases per atomic append on
    /// `callers` concurrent callers; `progress` hears the cases written so far. Returns
    /// each case's record keys by case id (what the node's `record_keys` table holds).
    @discardableResult
    func generate(cases: Int, appender: EventAppender, perCall: Int = 400, callers: Int = 4,
                  progress: @escaping @Sendable (Int) -> Void) async throws -> [String: RecordKeys] {
        let calls = (cases + perCall - 1) / perCall
        return try await withThrowingTaskGroup(of: [String: RecordKeys].self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    var keys: [String: RecordKeys] = [:]
                    for call in stride(from: caller, to: calls, by: callers) {
                        let range = (call * perCall)..<min(cases, (call + 1) * perCall)
                        var appends: [StreamAppend] = []
                        for index in range {
                            let caseKeys = RecordKeys.generate()
                            let append = try caseAppend(index, keys: caseKeys, using: &generator)
                            keys[StreamID.caseID(ofStream: append.stream)!] = caseKeys // a case stream: newCase named it
                            appends.append(append)
                        }
                        _ = try await appender.appendAtomically(appends)
                        progress(range.upperBound)
                    }
                    return keys
                }
            }
            return try await group.reduce(into: [:]) { all, keys in all.merge(keys) { first, _ in first } }
        }
    }
}

/// A workload the federation cannot give.
struct BenchWorkloadError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A benchmark stopped by a signal.
struct BenchInterrupted: Error, CustomStringConvertible {
    let signal: String
    var description: String { "interrupted by \(signal): stopped what the benchmark started" }
}

/// Where the benchmarks run: their private cluster, the schema and the workload's federation.
struct BenchClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The federation whose centres and policies generated cases use.", valueName: "file"))
    var federation = "deploy/federation.example.json"

    @Option(help: ArgumentHelp("The benchmark cluster's data directory.", valueName: "dir"))
    var pgData = ".tongban/bench-pg"

    @Option(help: "The benchmark cluster's port on 127.0.0.1.")
    var pgPort = 54340

    @OptionGroup var schema: SchemaOptions

    /// Runs `body` with the benchmark cluster running, and ends the same way however it
    /// ends (done, failed, or SIGINT/SIGTERM): `cleanUp` (stopping what `body` started on
    /// the cluster), then the cluster stopped if it was started here; one that already ran
    /// (another benchmark's, kept on purpose) is left running, and the message says how to
    /// stop it.
    func withCluster<Value: Sendable>(cleanUp: @escaping @Sendable () async -> Void = {},
                                      _ body: @escaping @Sendable (LocalCluster) async throws -> Value) async throws -> Value {
        let postgres = try LocalCluster(dataDirectory: pgData, port: pgPort)
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let startedHere = try postgres.start(progress: BenchFigures.say)
        do {
            let value = try await withThrowingTaskGroup(of: Value?.self) { group in
                group.addTask { try await body(postgres) }
                group.addTask {
                    for await signal in signals { throw BenchInterrupted(signal: "\(signal)") }
                    return nil
                }
                defer { group.cancelAll() }
                while let outcome = try await group.next() {
                    if let value = outcome { return value }
                }
                throw CancellationError()
            }
            await finish(postgres, startedHere: startedHere, cleanUp: cleanUp)
            return value
        } catch {
            await finish(postgres, startedHere: startedHere, cleanUp: cleanUp)
            throw error
        }
    }

    private func finish(_ postgres: LocalCluster, startedHere: Bool, cleanUp: @Sendable () async -> Void) async {
        await cleanUp()
        guard startedHere else {
            BenchFigures.say("the PostgreSQL cluster in \(pgData) ran before this benchmark and keeps running; stop it with: tongban pg stop --pg-data \(pgData) --pg-port \(pgPort)")
            return
        }
        do {
            try postgres.stop()
            BenchFigures.say("stopped the benchmark's PostgreSQL cluster (\(pgData))")
        } catch {
            BenchFigures.say("could not stop the benchmark's PostgreSQL cluster: \(error); stop it with: tongban pg stop --pg-data \(pgData) --pg-port \(pgPort)")
        }
    }

    /// A fresh, migrated database `name` on the started cluster.
    func database(_ name: String) async throws -> BenchDatabase {
        try await BenchDatabase.create(name, pgData: pgData, pgPort: pgPort, schema: schema)
    }
}

/// A fresh benchmark database on the private cluster, migrated.
struct BenchDatabase {
    let cluster: LocalCluster
    let name: String

    static func create(_ name: String, pgData: String, pgPort: Int, schema: SchemaOptions) async throws -> BenchDatabase {
        let cluster = try LocalCluster(dataDirectory: pgData, port: pgPort)
        try cluster.start { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        try cluster.dropDatabase(name)
        try cluster.createDatabase(name)
        let owner = try DatabaseURL(cluster.url(user: LocalCluster.ownerRole, database: name))
        let migrator = try schema.migrator()
        try await withRunningClient(owner) { client in
            _ = try await migrator.migrate(client, logger: Logger(label: "bench"))
        }
        return BenchDatabase(cluster: cluster, name: name)
    }

    func configuration(_ role: String, connections: Int = 20) throws -> PostgresClient.Configuration {
        var configuration = try DatabaseURL(cluster.url(user: role, database: name)).configuration
        configuration.options.maximumConnections = connections
        return configuration
    }
}

/// Measurement helpers shared by the benchmarks.
enum BenchFigures {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The `fraction` quantile of `values` (nearest rank).
    static func quantile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// The process's peak resident set in MB since start or the last ``resetPeakMemory()``.
    static func peakMemoryMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    /// Resets the kernel's peak-RSS mark, so the next phase's peak is its own.
    static func resetPeakMemory() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}

import ArgumentParser
import CaseDomain
import EventLog
import Federation
import Foundation

/// `tongban audit`: what happened to a record, read from a node's log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit trails read straight from a node's log.",
        subcommands: [AuditCaseCommand.self, AuditAccessCommand.self]
    )
}

/// `tongban audit case <id>`: every event of a case and of its investigations, across the
/// nodes that wrote them, each with its origin, hash and signature status.
struct AuditCaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "The case's full timeline across nodes, with each event's origin, hash and signature status.",
        discussion: """
            Reads the node's log (any node holds every city's events once synced), checks each \
            event's hash and signature against the federation's keys, and ends with the case's \
            state. Exits 2 if any event fails its check.
            """
    )

    @Argument(help: ArgumentHelp("The case id (a UUID; 'case-<uuid>' also works).", valueName: "id"))
    var id: String

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The federation file (its public keys).", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("Stop at a global position or an ISO-8601 time: the case as it stood then.", valueName: "position|time"))
    var asOf: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard UUID(uuidString: Self.caseID(id)) != nil else {
            throw ValidationError("'\(id)' is not a case id: a UUID such as 01a20d63-dd8a-776a-9435-08d639b645f5")
        }
    }

    private static func caseID(_ text: String) -> String {
        (StreamID.caseID(ofStream: text) ?? text).lowercased()
    }

    func run() async throws {
        let keyring = try FederationFile.load(path: federation).keyring
        let caseID = Self.caseID(id)
        let trail = try await withRunningClient(try database.resolved()) { client in
            let reader = EventReader(client: client)
            var upTo = Int64.max
            if let asOf { upTo = try await ReplayCommand.position(of: asOf, reader: reader) }
            let stream = StreamID.stream(.caseFile, id: caseID)
            var recorded = try await reader.readStream(stream)
            for investigation in try await reader.streams(startedBy: "InvestigationRequested", where: "caseStream", equals: stream) {
                recorded += try await reader.readStream(investigation)
            }
            return AuditTrail(caseID: caseID, events: recorded.filter { $0.globalPosition <= upTo }.sorted { $0.globalPosition < $1.globalPosition },
                              keyring: keyring, asOf: asOf.map { _ in upTo })
        }
        guard !trail.entries.isEmpty else {
            throw ValidationError("no case \(caseID) in this node's log\(asOf.map { " as of \($0)" } ?? "")")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(trail), as: UTF8.self))
        } else {
            print(trail.text)
        }
        guard trail.entries.allSatisfy({ $0.signature == "ok" }) else { throw ExitCode(2) }
    }
}

/// A case's events with their checks, and the state they add up to.
struct AuditTrail: Encodable {
    struct Entry: Encodable {
        var position: Int64
        var recordedAt: String
        var node: String
        var originSeq: Int64
        var centre: String?
        var staff: String
        var stream: String
        var version: Int64
        var type: String
        var hash: String
        var prevHash: String
        /// `ok`, or why the event fails its check against the federation's keys.
        var signature: String
        var quarantine: String?
        var body: JSONValue
    }

    struct InvestigationSummary: Encodable {
        var id: String
        var phase: String
        var requestedCentre: String?
        var number: String?
    }

    var caseID: String
    var asOfPosition: Int64?
    var entries: [Entry]
    var phase: String
    var owner: String?
    var number: String?
    var lawyer: String?
    var investigations: [InvestigationSummary]

    init(caseID: String, events: [RecordedEvent], keyring: OriginKeyring, asOf: Int64?) {
        self.caseID = caseID
        self.asOfPosition = asOf
        entries = events.map { record in
            let envelope = record.envelope
            var signature = "ok"
            do { try record.signed.verify(with: keyring) } catch { signature = "FAILED: \(error)" }
            return Entry(position: record.globalPosition, recordedAt: envelope.recordedAt.description, node: envelope.originNode.rawValue,
                         originSeq: envelope.originSeq, centre: envelope.actor.centre?.rawValue, staff: envelope.actor.staff,
                         stream: envelope.streamId, version: envelope.streamVersion, type: envelope.type, hash: record.signed.hash.hex,
                         prevHash: envelope.prevHash.hex, signature: signature, quarantine: record.quarantineReason,
                         body: PersonalData.masked(envelope.body))
        }
        // The state from the accepted events only, as every projection sees it.
        let accepted = events.filter { $0.quarantineReason == nil }
        let caseState = CaseState(replaying: accepted.filter { $0.envelope.streamId == StreamID.stream(.caseFile, id: caseID) }
            .compactMap { try? CaseEvent.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event })
        phase = caseState.phase.rawValue
        owner = caseState.owner?.rawValue
        number = caseState.number
        lawyer = caseState.lawyer
        let byInvestigation = Dictionary(grouping: accepted.filter { StreamID.kind(of: $0.envelope.streamId)?.kind == .investigation }, by: \.envelope.streamId)
        investigations = byInvestigation.keys.sorted().map { stream in
            let state = Investigation.State(replaying: byInvestigation[stream, default: []]
                .compactMap { try? Investigation.Event.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event })
            return InvestigationSummary(id: StreamID.kind(of: stream)?.id ?? stream, phase: state.phase.rawValue,
                                        requestedCentre: state.target?.rawValue, number: state.number)
        }
    }

    /// One line per event, then the state.
    var text: String {
        var lines = ["case \(caseID): \(entries.count) event(s)\(asOfPosition.map { " up to global position \($0)" } ?? "")"]
        for entry in entries {
            let record = StreamID.kind(of: entry.stream).map { $0.kind == .investigation ? "investigation \($0.id)" : "case" } ?? "case"
            var line = "#\(entry.position) \(entry.recordedAt) \(entry.node)/\(entry.originSeq) \(entry.centre ?? "-") \(entry.staff) "
                + "\(record) v\(entry.version) \(entry.type) hash \(entry.hash.prefix(16))… signature \(entry.signature)"
            if let quarantine = entry.quarantine { line += " QUARANTINED (\(quarantine))" }
            lines.append(line)
        }
        lines.append("state: \(phase), owner \(owner ?? "-"), number \(number ?? "-"), lawyer \(lawyer ?? "-")")
        for investigation in investigations {
            lines.append("investigation \(investigation.id): \(investigation.phase), requested centre \(investigation.requestedCentre ?? "-"), number \(investigation.number ?? "-")")
        }
        let failed = entries.filter { $0.signature != "ok" }.count
        lines.append(failed == 0 ? "OK: every event's hash and signature verify against the federation's keys"
                                 : "BROKEN: \(failed) event(s) fail their hash or signature check")
        return lines.joined(separator: "\n")
    }
}

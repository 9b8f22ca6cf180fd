import CaseDomain
import Foundation
import TestSupport
import Testing

/// A seeded random workload on the three-node federation: each step picks a node and a
/// centre of it and either gives a valid command on a record whose turn it is (or submits
/// an application), or sends a hostile request, which must be refused with a 4xx and write
/// nothing. Every failure names the seed and the step, with the request and the answer.
struct FederationWorkload {
    /// A record with a next step, and whose turn it is: the log's version the centre acts on.
    struct Item {
        enum Kind { case caseFile, investigation }
        let kind: Kind
        let id: String
        var turn: CentreID
        var version: Int64
    }

    let federation: FederationHarness
    let seed: UInt64
    private let commands: ValidCommands
    private let nodes: [FederationHarness.Node]
    private var random: SeededRandom
    private var items: [Item] = []
    private var tokens: [String: String] = [:]
    /// Every case submitted, in order.
    private(set) var caseIDs: [String] = []
    /// Valid commands given, by action; hostile requests sent, by class and the status they got.
    private(set) var accepted: [String: Int] = [:]
    private(set) var refusals: [String: [Int: Int]] = [:]

    init(federation: FederationHarness, seed: UInt64) {
        self.federation = federation
        self.seed = seed
        self.random = SeededRandom(seed: seed)
        self.nodes = federation.nodes.values.sorted { $0.id.rawValue < $1.id.rawValue }
        let running = Set(nodes.map(\.id))
        commands = ValidCommands(centres: federation.federation.nodes.filter { running.contains($0.id) }.flatMap { $0.centres.map(\.id) })
    }

    /// Step `index`: a node, a centre of it, and a valid command or a hostile request.
    mutating func step(_ index: Int) async throws {
        let node = nodes.randomElement(using: &random)!
        let local = items.indices.filter { items[$0].turn.node == node.id }
        if random.oneIn(3) {
            try await hostile(at: node, local: local, step: index)
        } else if local.isEmpty || random.oneIn(5) {
            try await submit(at: node, step: index)
        } else {
            try await advance(local.randomElement(using: &random)!, step: index)
        }
    }

    private func context(_ step: Int, _ node: FederationHarness.Node, _ centre: CentreID) -> String {
        "seed \(seed) (TONGBAN_PROPERTY_SEED=\(seed)), step \(step), node \(node.id) as \(centre)"
    }

    private func node(of centre: CentreID) -> FederationHarness.Node { federation.nodes[centre.node]! }

    private func centres(of node: FederationHarness.Node) -> [CentreID] {
        federation.federation.nodes.first { $0.id == node.id }!.centres.map(\.id)
    }

    /// A staff token of `centre` from its own node, issued once.
    private mutating func token(_ centre: CentreID) async throws -> String {
        if let token = tokens[centre.rawValue] { return token }
        let token = try await node(of: centre).running.server.tokens.issue(centre: centre, staff: "staff-1", role: .staff, validity: .seconds(3600))
        tokens[centre.rawValue] = token
        return token
    }

    private mutating func submit(at node: FederationHarness.Node, step: Int) async throws {
        let centre = centres(of: node).randomElement(using: &random)!
        let command = commands.submission(using: &random)
        let answer = try await federation.request(node, "POST", command.path, token: try await token(centre), body: command.body)
        try #require(answer.0 == 201, "\(context(step, node, centre)): \(command) → \(answer.0) \(answer.1)")
        let id = try #require(answer.1["caseId"]?.stringValue)
        caseIDs.append(id)
        items.append(Item(kind: .caseFile, id: id, turn: centre, version: 1))
        accepted["submit", default: 0] += 1
    }

    /// Gives the next valid command on `items[index]` at the node of the centre whose turn it
    /// is, and follows the record to its new state (dropping it once nothing is left to do).
    private mutating func advance(_ index: Int, step: Int) async throws {
        let item = items[index]
        let node = node(of: item.turn)
        let view = try await view(of: item, step: step)
        let next = switch item.kind {
        case .caseFile: commands.next(forCase: item.id, view: view, using: &random)
        case .investigation: commands.next(forInvestigation: item.id, view: view, using: &random)
        }
        guard let command = next else {
            items.remove(at: index)
            return
        }
        // A 503 is "not yet": the node holds the record but not yet its key, which the
        // sending node hands over beside sync. A staff member tries again; so does this.
        var (status, answer) = try await federation.request(node, "POST", command.path, token: try await token(item.turn), body: command.body)
        let patience = ContinuousClock.now + .seconds(90)
        while status == 503, ContinuousClock.now < patience {
            try await Task.sleep(for: .milliseconds(100))
            (status, answer) = try await federation.request(node, "POST", command.path, token: try await token(item.turn), body: command.body)
        }
        let what = "\(context(step, node, item.turn)): \(command) on a record in phase \(view["phase"]?.stringValue ?? "?") → \(status) \(answer)"
        try #require(status == 200 || status == 201, "\(what)")
        accepted[Self.action(command.path, item.kind), default: 0] += 1
        if let investigation = answer["investigationId"]?.stringValue, item.kind == .caseFile {
            let target = try #require(command.body["toCentre"]?.stringValue.flatMap(CentreID.init(rawValue:)))
            items.append(Item(kind: .investigation, id: investigation, turn: target, version: 1))
            return
        }
        try #require(answer["version"]?.integerValue == item.version + 1, "\(what): one event more")
        items[index].version = item.version + 1
        let after = try await self.view(of: items[index], step: step)
        let turn = item.kind == .caseFile ? ValidCommands.turn(ofCase: after) : ValidCommands.turn(ofInvestigation: after)
        if let turn { items[index].turn = turn } else { items.remove(at: index) }
    }

    /// The record as the node of the centre whose turn it is shows it, once that node holds
    /// the version the centre acts on (sync brings it from the node that wrote it).
    private mutating func view(of item: Item, step: Int) async throws -> JSONValue {
        let node = node(of: item.turn)
        let path = item.kind == .caseFile ? "/v1/cases/\(item.id)" : "/v1/investigations/\(item.id)"
        let token = try await token(item.turn)
        let deadline = ContinuousClock.now + .seconds(90)
        var last: (Int, JSONValue) = (0, .null)
        while ContinuousClock.now < deadline {
            last = try await federation.request(node, "GET", path, token: token)
            if last.0 == 200, last.1["version"]?.integerValue == item.version { return last.1 }
            // Until sync brings the event that makes the centre a party, its node holds the
            // record without it (403) or not at all (404).
            try #require([200, 403, 404].contains(last.0), "\(context(step, node, item.turn)): GET \(path) → \(last.0) \(last.1)")
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(context(step, node, item.turn)): GET \(path) did not reach version \(item.version) in 90 s: \(last.0) \(last.1)")
        throw CancellationError()
    }

    /// A hostile request at `node`: a hostile variant of a command one of its centres could
    /// give now (on a record whose turn it is, a new application, or a case whose turn is at
    /// another node), or a malformed cursor. It must be a 4xx and write nothing on `node`.
    private mutating func hostile(at node: FederationHarness.Node, local: [Int], step: Int) async throws {
        let foreign = items.indices.filter { items[$0].turn.node != node.id }
        var centre = centres(of: node).randomElement(using: &random)!
        var valid = commands.submission(using: &random)
        var kindPrefix = ""
        var target: Int?
        let pick = Int.random(in: 0..<4, using: &random)
        if pick < 2, let index = local.randomElement(using: &random), let command = try await command(for: items[index], step: step) {
            (centre, valid, target) = (items[index].turn, command, index)
        } else if pick == 2, let index = foreign.randomElement(using: &random), let command = try await command(for: items[index], step: step) {
            // Another city's record, as a centre of this node: a command only its own node may take.
            (valid, target) = (command, index)
            kindPrefix = "another city's record (turn of \(items[index].turn)), "
        }
        let request = HostileRequests.make(from: valid, using: &random)
        let written = "SELECT count(*)::int FROM events WHERE origin_node = '\(node.id.rawValue)'"
        let before = try await node.database.count(written)
        let (status, answer) = try await federation.request(node, request.method, request.path, token: try await token(centre),
                                                            rawBody: request.body)
        let what = "\(context(step, node, centre)): \(kindPrefix)\(request) → \(status) \(answer)"
        #expect((400..<500).contains(status), "\(what)")
        if let expected = request.expectedStatus, kindPrefix.isEmpty { #expect(status == expected, "\(what)") }
        let wrote = try await node.database.count(written) != before
        #expect(!wrote, "\(what): wrote an event")
        // What the request did to its record is unknown: the workload leaves the record alone
        // and goes on, so that the checks at the end still run.
        if wrote || (200..<300).contains(status), let target { items.remove(at: target) }
        refusals[(kindPrefix.isEmpty ? "" : "another city's record: ") + request.category, default: [:]][status, default: 0] += 1
    }

    /// `transfer/accept` for `/v1/cases/<id>/transfer/accept`, prefixed for investigations.
    private static func action(_ path: String, _ kind: Item.Kind) -> String {
        let action = path.split(separator: "/").dropFirst(3).joined(separator: "/")
        return kind == .investigation ? "investigation \(action)" : action
    }

    private mutating func command(for item: Item, step: Int) async throws -> StaffCommand? {
        let view = try await view(of: item, step: step)
        return switch item.kind {
        case .caseFile: commands.next(forCase: item.id, view: view, using: &random)
        case .investigation: commands.next(forInvestigation: item.id, view: view, using: &random)
        }
    }
}

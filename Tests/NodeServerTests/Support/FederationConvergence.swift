import CaseDomain
import EventLog
import Foundation
import Projections
import TestSupport
import Testing

/// The end state invariants 7–10 promise once the nodes stop taking writes: sync goes quiet
/// with every node holding the same events, every projection at the head with nothing
/// parked, every case view the domain's fold of its stream, and a replay equal to live.
/// Each check is read from the nodes' databases (sync status is node-signed) and names
/// `context` (the seed) when it fails.
extension FederationHarness {
    /// Checks everything above on every node; `cases` are the cases the workload submitted.
    func expectConverged(cases: [String], context: String) async throws {
        try await Self.waitUntil("every node holds the same events of every origin (\(context))", seconds: 60) {
            Set(try await originHeads().values).count == 1
        }
        let logs = try await logs()
        #expect(Set(logs.values).count == 1, "\(context): the nodes' event hashes differ")
        for node in nodes.values.sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            let on = "\(context), node \(node.id)"
            #expect(try await request(node, "GET", "/health").0 == 200, "\(on): /health")
            #expect(try await node.database.count("SELECT count(*)::int FROM events WHERE quarantine_reason IS NOT NULL") == 0,
                    "\(on): an honest federation quarantines nothing")
            try await waitUntilProjected(node, context: on)
            #expect(try await node.database.count("SELECT count(*)::int FROM projections.parked_events") == 0, "\(on): parked events")
            try await expectCaseViewsAreFolds(on: node, cases: cases, context: on)
            try await expectReadable(cases, on: node, context: on)
            try await expectReplayMatchesLive(on: node, context: on)
        }
    }

    /// Per node, the highest `originSeq` it holds of each origin (its version vector), with
    /// the event count, which equals their sum only if no origin has a gap.
    func originHeads() async throws -> [NodeID: [String]] {
        var heads: [NodeID: [String]] = [:]
        for node in nodes.values {
            let rows = try await node.database.superuser.query("""
                SELECT origin_node || ':' || max(origin_seq) || '/' || count(*) FROM events GROUP BY origin_node ORDER BY origin_node
                """)
            var entries: [String] = []
            for try await entry in rows.decode(String.self) { entries.append(entry) }
            heads[node.id] = entries
        }
        return heads
    }

    /// Waits until the node's own projector has brought every projection to the log's head.
    private func waitUntilProjected(_ node: Node, context: String) async throws {
        let names = ProjectorService.all.map(\.name)
        try await Self.waitUntil("every projection is at the head (\(context))", seconds: 30) {
            let head = try await node.database.count("SELECT coalesce(max(global_position), 0)::int FROM events")
            let rows = try await node.database.superuser.query("SELECT projection, position FROM projections.checkpoints")
            var at: [String: Int64] = [:]
            for try await (name, position) in rows.decode((String, Int64).self) { at[name] = position }
            return names.allSatisfy { at[$0] == Int64(head) }
        }
    }

    /// The case-views projection's stored state of every case and investigation request
    /// equals the domain's fold of the stream's accepted events.
    private func expectCaseViewsAreFolds(on node: Node, cases: [String], context: String) async throws {
        let reader = EventReader(client: node.database.service)
        let streams = try await node.database.superuser.query("SELECT DISTINCT stream_id FROM events ORDER BY stream_id")
        var logCases: [String] = [], logInvestigations: [String] = []
        for try await stream in streams.decode(String.self) {
            switch StreamID(stream) {
            case .caseFile(let id)?: logCases.append(id.uuidString.lowercased())
            case .investigation(let id)?: logInvestigations.append(id.uuidString.lowercased())
            case .register?, .delivery?: break // numbers taken; receipts of what was sent
            default: Issue.record("\(context): a stream no command of the workload writes: \(stream)")
            }
        }
        #expect(Set(logCases) == Set(cases), "\(context): the log holds exactly the cases submitted")

        let views = try await node.database.superuser.query("SELECT case_id, state::text FROM projections.case_views ORDER BY case_id")
        var stored: [String: CaseState] = [:]
        for try await (id, state) in views.decode((String, String).self) {
            stored[id] = try CanonicalJSON.decode(CaseState.self, from: CanonicalJSON.decode(Array(state.utf8)))
        }
        #expect(Set(stored.keys) == Set(logCases), "\(context): a view for every case in the log")
        for id in logCases {
            let events = try await reader.readStream(StreamID.stream(.caseFile, id: id))
                .compactMap { try CaseEvent.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event }
            #expect(stored[id] == CaseState(replaying: events), "\(context): the view of case \(id) is not the fold of its stream")
        }

        let requests = try await node.database.superuser.query("SELECT investigation_id, state::text FROM projections.case_investigations")
        var storedRequests: [String: Investigation.State] = [:]
        for try await (id, state) in requests.decode((String, String).self) {
            storedRequests[id] = try CanonicalJSON.decode(Investigation.State.self, from: CanonicalJSON.decode(Array(state.utf8)))
        }
        #expect(Set(storedRequests.keys) == Set(logInvestigations), "\(context): a view for every investigation request in the log")
        for id in logInvestigations {
            let events = try await reader.readStream(StreamID.stream(.investigation, id: id))
                .compactMap { try Investigation.Event.read(type: $0.envelope.type, schemaVersion: $0.envelope.schemaVersion, body: $0.envelope.body, record: nil)?.event }
            #expect(storedRequests[id] == Investigation.State(replaying: events), "\(context): the view of request \(id) is not the fold of its stream")
        }
    }

    /// Every case answers `GET /v1/cases/{id}` with 200 (an auditor may read them all).
    private func expectReadable(_ cases: [String], on node: Node, context: String) async throws {
        let centre = try #require(federation.nodes.first { $0.id == node.id }?.centres.first?.id)
        let token = try await node.running.server.tokens.issue(centre: centre, staff: "auditor-1", role: .auditor, validity: .seconds(600))
        for id in cases {
            let (status, answer) = try await request(node, "GET", "/v1/cases/\(id)", token: token)
            #expect(status == 200, "\(context): GET /v1/cases/\(id) → \(status) \(answer)")
        }
    }

    /// A rebuild of every projection from position 0 gives the live rows (invariant 7).
    private func expectReplayMatchesLive(on node: Node, context: String) async throws {
        let replay = Replay(projections: ProjectorService.all, into: ProjectionSchema("projections_replay")!, client: node.database.owner)
        try await replay.rebuild()
        let report = try await replay.compareWithLive()
        let head = try await node.database.count("SELECT coalesce(max(global_position), 0)::int FROM events")
        #expect(report.position == Int64(head), "\(context): the replay reached \(report.position) of \(head)")
        #expect(report.matches, "\(context): replay differs: \(report.comparisons.filter { !$0.matches }.map { "\($0.live) vs \($0.rebuilt)" })")
    }
}

import CaseDomain
import EventLog
import Projections
import Testing

/// The case view and timeline come from the case-views projection, brought up to the
/// log's head by the read itself when the projector has not got there yet.
@Suite("Case view from the projection")
struct CaseViewTests {
    typealias H = NodeHarness

    @Test func aReadCatchesTheViewUpButNotFromFarBehind() async throws {
        try await H.run { node in
            // No projector runs in the harness: the view stands at 0 while commands are made.
            let id = try await RefusalTests.assessedCase(node)
            try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian,
                                  ["expectedVersion": 2, "toCentre": .string(H.licang.rawValue), "reason": "管辖"])
            let checkpoint = { try await node.database.count("SELECT coalesce(max(position), 0)::int FROM projections.checkpoints WHERE projection = 'case-views'") }
            #expect(try await checkpoint() == 0)

            // A view more events behind than a read may catch up says so and moves nothing.
            let strict = CaseRecords(client: node.database.service, maximumCatchUp: 2)
            await #expect(throws: ProjectionBehind.self) { try await strict.record(id) }
            #expect(try await checkpoint() == 0)

            // The API's read catches up and shows the command just made, timeline included (read by
            // the sender: Licang's reading would record its receipt, past the checkpoint).
            let view = try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.wulian)
            #expect(view["phase"] == "transfer-pending" && view["transferTarget"] == .string(H.licang.rawValue) && view["version"] == 3)
            #expect(view["applicant"]?["idNumber"] == "3711**********1234", "the stored application is masked")
            #expect(try await checkpoint() == (try await node.logSize()))
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(id)/timeline", as: H.wulian)
            #expect(timeline["events"]?.arrayCount == 3, "\(timeline)")

            // Now within reach, the strict reader answers too; the case view row is what it reads.
            _ = try await node.database.owner.query("UPDATE projections.case_views SET participants = '{}' WHERE case_id = \(id)")
            #expect(try await strict.record(id)?.participants.isEmpty == true)
            try await node.expect(.forbidden, .get, "/v1/cases/\(id)", as: H.licang)
        }
    }

    @Test func aViewTooFarBehindAnswers503UntilTheProjectorHasCaughtUp() async throws {
        try await H.run { node in
            let id = try await RefusalTests.assessedCase(node)
            try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.wulian)
            // 5,001 events of a stream kind this node does not read (parked, invariant 10) land after the case view's checkpoint.
            let appender = node.database.appender(node: "qingdao")
            let actor = Actor(centre: H.licang, staff: "operator")
            for chunk in 0..<5 {
                let count = chunk == 4 ? 1001 : 1000
                _ = try await appender.append(to: "operator-notes", expectedVersion: Int64(chunk * 1000), events: Array(
                    repeating: NewEvent(type: "NoteRecorded", actor: actor, body: ["note": "n"]), count: count))
            }
            let behind = try await node.call(.get, "/v1/cases/\(id)", as: H.wulian)
            #expect(behind.status == .serviceUnavailable && behind.problemType == "unavailable", "\(behind.json)")
            #expect(behind.json["detail"]?.stringValue?.contains("case-views projection is 5001 events behind") == true, "\(behind.json)")

            try await node.project()
            #expect(try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.wulian)["phase"] == "ready-for-decision")
        }
    }
}

extension JSONValue {
    /// The number of elements when this is an array.
    fileprivate var arrayCount: Int? {
        guard case .array(let elements) = self else { return nil }
        return elements.count
    }
}

import CaseDomain
import Casework
import Foundation
import Hummingbird
import NodeServer
import Testing

/// Each refused call answers with its status and stable problem type, says what was
/// wrong, and leaves the log exactly as it was.
@Suite("Refused calls write nothing")
struct RefusalTests {
    typealias H = NodeHarness

    /// Makes the call, requires `status` and `type`, and that the log did not grow.
    static func refused(_ node: H, _ status: HTTPResponse.Status, _ type: String, _ method: HTTPRequest.Method, _ path: String,
                        as centre: CentreID?, role: StaffRole = .staff, _ body: JSONValue? = nil,
                        field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await node.logSize()
        let answer = try await node.call(method, path, as: centre, role: role, body)
        #expect(answer.status == status, "\(method) \(path): \(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.problemType == type, "\(method) \(path): \(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        #expect(answer.json["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        if let field {
            #expect(answer.json["errors"]?[0]?["field"]?.stringValue == field, "expected the error to name \(field): \(answer.json)", sourceLocation: sourceLocation)
        }
        #expect(try await node.logSize() == before, "a refused call must not write", sourceLocation: sourceLocation)
    }

    /// A case submitted at Wulian and assessed complete: version 2, ready for transfer.
    static func assessedCase(_ node: H) async throws -> String {
        let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
        let id = try #require(created["caseId"]?.stringValue)
        try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
        return id
    }

    @Test func invalidTransitionsAre409NamingCommandAndPhase() async throws {
        try await H.run { node in
            let id = try await Self.assessedCase(node)
            try await Self.refused(node, .conflict, "invalid-transition", .post, "/v1/cases/\(id)/assessment", as: H.wulian,
                                   ["expectedVersion": 2, "eligible": true, "reason": "again"])
            try await Self.refused(node, .conflict, "invalid-transition", .post, "/v1/cases/\(id)/archive", as: H.wulian, ["expectedVersion": 2])
            try await Self.refused(node, .conflict, "invalid-transition", .post, "/v1/cases/\(id)/transfer/accept", as: H.licang, ["expectedVersion": 2])
            try await Self.refused(node, .conflict, "invalid-transition", .post, "/v1/cases/\(id)/lawyer", as: H.wulian,
                                   ["expectedVersion": 2, "lawyer": "甲", "firm": "所"])
            let answer = try await node.call(.post, "/v1/cases/\(id)/close", as: H.wulian, ["expectedVersion": 2, "outcome": "o", "recoveredAmount": 0])
            #expect(answer.json["detail"] == "'close' is not possible in phase ready-for-decision")
        }
    }

    @Test func validationErrorsAre422NamingTheField() async throws {
        try await H.run { node in
            var bad = H.application(idNumber: "12345")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian, bad, field: "applicant.idNumber")
            bad = H.application(jurisdiction: H.licang)
            if case .object(var fields) = bad { fields["matter"] = ["litigation": true, "cause": "x", "summary": "", "venue": "v"]; bad = .object(fields) }
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian, bad, field: "matter.jurisdictionCentre")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                   H.application(hardship: ["basis": "exempt", "group": "military-family"]), field: "hardship.group")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                   H.application(hardship: ["basis": "lottery"]), field: "hardship.basis")
            // PostgreSQL cannot hold U+0000 in text: refused up front, not a 500 later (found by schemathesis).
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/certificates", as: H.huancui,
                                   ["holderName": "张\u{0}某", "idNumber": "371121198001011234", "basis": "b", "validUntil": "2027-01-01T00:00:00Z"], field: "holderName")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/certificates/lookup", as: H.wulian,
                                   ["idNumber": "G\u{8A}á\u{0}", "name": "张某"], field: "idNumber")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/certificates/lookup", as: H.wulian,
                                   ["idNumber": "371121198001011234", "name": "张\u{0}某"], field: "name")
            let id = try await Self.assessedCase(node)
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/transfer", as: H.wulian,
                                   ["expectedVersion": 2, "toCentre": "not a centre", "reason": "r"], field: "toCentre")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/transfer", as: H.wulian,
                                   ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "  "], field: "reason")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/transfer", as: H.wulian,
                                   ["expectedVersion": 2, "toCentre": "qingdao-nowhere", "reason": "r"], field: "toCentre")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                   H.application(jurisdiction: CentreID(rawValue: "harbin-daoli")!), field: "matter.jurisdictionCentre")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/decision", as: H.wulian,
                                   ["granted": true, "reason": "ok"], field: "expectedVersion")
            try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/decision", as: H.wulian,
                                   ["expectedVersion": 2, "granted": "yes", "reason": "ok"], field: "granted")
            let before = try await node.logSize()
            let malformed = try await node.send(.post, "/v1/cases", headers: [.authorization: "Bearer \(try await node.token(H.wulian))"],
                                                body: ByteBuffer(string: "{\"applicant\": "))
            #expect(malformed.status == .badRequest && malformed.problemType == "malformed")
            #expect(try await node.logSize() == before)
        }
    }

    @Test func staffActOnlyForTheirCentreAndSeeOnlyCasesTheyTakePartIn() async throws {
        try await H.run { node in
            let id = try await Self.assessedCase(node)
            try await Self.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(id)/transfer", as: H.licang,
                                   ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "mine now"])
            try await Self.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(id)/decision", as: H.huancui,
                                   ["expectedVersion": 2, "granted": true, "reason": "ok"])
            try await Self.refused(node, .forbidden, "forbidden", .get, "/v1/cases/\(id)", as: H.huancui)
            try await Self.refused(node, .forbidden, "forbidden", .get, "/v1/cases/\(id)/timeline", as: H.licang)
            try await Self.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(id)/decision", as: H.wulian, role: .auditor,
                                   ["expectedVersion": 2, "granted": true, "reason": "ok"])
            try await Self.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(id)/investigations", as: H.huancui,
                                   ["toCentre": "qingdao-licang", "questions": ["q"], "dueDays": 5])
            // Once transferred, Licang takes part and may read; an auditor reads everything.
            try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "r"])
            try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
            try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.huancui, role: .auditor)
            // While the transfer is in flight only Licang answers it; not even the sender.
            try await Self.refused(node, .forbidden, "forbidden", .post, "/v1/cases/\(id)/transfer/accept", as: H.wulian, ["expectedVersion": 3])
        }
    }

    @Test func staleVersionsAre409ConflictsTellingTheCurrentVersion() async throws {
        try await H.run { node in
            let id = try await Self.assessedCase(node)
            try await Self.refused(node, .conflict, "conflict", .post, "/v1/cases/\(id)/transfer", as: H.wulian,
                                   ["expectedVersion": 1, "toCentre": "qingdao-licang", "reason": "r"])
            let answer = try await node.call(.post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 7, "toCentre": "qingdao-licang", "reason": "r"])
            #expect(answer.json["currentVersion"] == 2)
        }
    }

    @Test func tokensAreRequiredAndMustBeThisNodes() async throws {
        try await H.run { node in
            let id = try await Self.assessedCase(node)
            try await Self.refused(node, .unauthorized, "unauthorized", .post, "/v1/cases", as: nil, H.application())
            try await Self.refused(node, .unauthorized, "unauthorized", .get, "/v1/cases/\(id)", as: nil)
            for header in ["Bearer not.a.token", "Basic d3VsaWFuOnB3", "Bearer"] {
                let before = try await node.logSize()
                let answer = try await node.send(.post, "/v1/cases", headers: [.authorization: header], body: nil)
                #expect(answer.status == .unauthorized && answer.problemType == "unauthorized", "\(header): \(answer.json)")
                #expect(try await node.logSize() == before)
            }
            // A token signed by another token key of the same node id is not this node's.
            let foreign = await TokenAuthority(key: .generate(for: NodeID(rawValue: "qingdao")!))
            let token = try await foreign.issue(centre: H.wulian, staff: "intruder", role: .staff, validity: .seconds(60))
            let answer = try await node.send(.get, "/v1/cases/\(id)", headers: [.authorization: "Bearer \(token)"], body: nil)
            #expect(answer.status == .unauthorized)
            // An expired token is refused.
            let expired = try await node.server.tokens.issue(centre: H.wulian, staff: "s", role: .staff, validity: .seconds(60),
                                                             now: .now.addingTimeInterval(-3600))
            #expect(try await node.send(.get, "/v1/cases/\(id)", headers: [.authorization: "Bearer \(expired)"], body: nil).status == .unauthorized)
        }
    }

    @Test func aVersionNoRecordCanBeAtIsMalformedNotAConflict() async throws {
        try await H.run { node in
            let id = try await Self.assessedCase(node)
            for version: Int64 in [-1, .min] {
                try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/decision", as: H.wulian,
                                       ["expectedVersion": .integer(version), "granted": true, "reason": "r"], field: "expectedVersion")
                try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/transfer/cancel", as: H.wulian,
                                       ["expectedVersion": .integer(version), "reason": "r"], field: "expectedVersion")
                try await Self.refused(node, .unprocessableContent, "validation", .post, "/v1/lawyers/\(UUID().uuidString.lowercased())", as: H.licang,
                                       role: .supervisor, ["active": false, "expectedVersion": .integer(version)], field: "expectedVersion")
            }
        }
    }

    @Test func unknownRecordsAre404() async throws {
        try await H.run { node in
            try await Self.refused(node, .notFound, "not-found", .get, "/v1/cases/0190f0a0-0000-7000-8000-000000000000", as: H.wulian)
            try await Self.refused(node, .notFound, "not-found", .get, "/v1/cases/zhang", as: H.wulian)
            try await Self.refused(node, .notFound, "not-found", .post, "/v1/cases/0190f0a0-0000-7000-8000-000000000000/assessment", as: H.wulian,
                                   ["expectedVersion": 1, "eligible": true, "reason": "r"])
            try await Self.refused(node, .notFound, "not-found", .post, "/v1/investigations/0190f0a0-0000-7000-8000-000000000000/accept", as: H.huancui,
                                   ["expectedVersion": 1])
            try await Self.refused(node, .notFound, "not-found", .get, "/v1/certificates/0190f0a0-0000-7000-8000-000000000000", as: H.huancui)
            try await Self.refused(node, .notFound, "not-found", .get, "/v1/no-such-thing", as: H.wulian)
        }
    }
}

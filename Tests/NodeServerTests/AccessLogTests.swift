import CaseDomain
import Foundation
import Hummingbird
import Testing

/// Every read of personal data in plain text is recorded, and nothing else is; the record
/// is for auditors and the owning city's supervisors.
@Suite("Access records")
struct AccessLogTests {
    typealias H = NodeHarness

    @Test func everyPlainTextReadIsRecordedAndNothingElse() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())
            let caseID = try #require(created["caseId"]?.stringValue)
            try await node.project()
            try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.wulian)
            try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.wulian)
            _ = try await node.inbox(H.wulian)
            try await node.expect(.forbidden, .get, "/v1/cases/\(caseID)", as: H.huancui)
            try await node.expect(.ok, .get, "/v1/cases/\(caseID)", as: H.licang, role: .auditor)

            let log = try await node.expect(.ok, .get, "/v1/access-log?record=\(caseID)", as: H.licang, role: .auditor)
            let entries = try #require(log["entries"]?.arrayValue)
            #expect(entries.map { "\($0["purpose"]?.stringValue ?? "")@\($0["centre"]?.stringValue ?? "")" }
                    == ["case-view@rizhao-wulian", "timeline@rizhao-wulian", "case-view@qingdao-licang"],
                    "the two reads by Wulian and the auditor's, not the inbox (masked) nor the refused read: \(entries)")
            #expect(entries.first?["fields"] == ["idNumber", "name", "phone", "summary"])

            let cookie = try await StaffPagesTests.signIn(node, as: H.wulian, staff: "王某")
            let (_, page) = try await StaffPagesTests.page(node, "/cases/\(caseID)", cookie: cookie)
            let section = page.components(separatedBy: "class=\"access-log\"").last ?? ""
            #expect(section.contains("王某") && section.contains("case-page") && section.contains("timeline"),
                    "the case page shows its own read first, then the earlier ones")
            let supervisor = try await node.expect(.ok, .get, "/v1/access-log?record=\(caseID)", as: H.wulian, role: .supervisor)
            #expect(supervisor["entries"]?.arrayValue?.count == 4, "the page read is the fourth; reading the access log is not a read")
            try await RefusalTests.refused(node, .forbidden, "forbidden", .get, "/v1/access-log?record=\(caseID)", as: H.wulian)
            try await RefusalTests.refused(node, .forbidden, "forbidden", .get, "/v1/access-log?record=\(caseID)", as: H.licang, role: .supervisor)
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .get, "/v1/access-log?record=371121198001011234",
                                           as: H.licang, role: .auditor, field: "record")
        }
    }
}

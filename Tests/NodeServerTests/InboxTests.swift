import CaseDomain
import Casework
import EventLog
import Foundation
import NodeServer
import Projections
import Testing

/// The inbox: overdue against the node's clock, every item exactly once across pages,
/// and only ever the caller's own centre's work.
@Suite("Inbox")
struct InboxTests {
    typealias H = NodeHarness

    /// `count` cases applied for at Licang and assessed complete (decide items due in 5
    /// working days), and `unassessed` more waiting for review (undated items).
    static func populate(_ node: H, count: Int, unassessed: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<(count + unassessed) {
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang,
                                                H.application(urgent: index % 3 == 0, hardship: ["basis": "promise", "statement": "承诺"]))
            let id = try #require(created["caseId"]?.stringValue)
            if index < count {
                try await node.expect(.ok, .post, "/v1/cases/\(id)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "ok"])
            }
            ids.append(id)
        }
        return ids
    }

    /// Every item of `centre`'s inbox, page by page.
    static func allPages(_ node: H, _ centre: CentreID, query: String, limit: Int) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        repeat {
            let suffix = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
            let page = try await node.expect(.ok, .get, "/v1/inbox?limit=\(limit)\(query)\(suffix)", as: centre)
            guard case .array(let pageItems)? = page["items"] else { Issue.record("no items in \(page)"); return items }
            #expect(pageItems.count <= limit)
            items += pageItems
            cursor = page["nextCursor"]?.stringValue
        } while cursor != nil
        return items
    }

    @Test func itemsFallOverdueByTheNodesClockAndPagesGiveEachItemOnce() async throws {
        try await H.run { node in
            let cases = try await Self.populate(node, count: 23, unassessed: 6)
            try await node.project()
            let all = try await Self.allPages(node, H.licang, query: "", limit: 7)
            #expect(all.count == 29, "every item once")
            #expect(Set(all.compactMap { $0["caseId"]?.stringValue }) == Set(cases))
            #expect(all.prefix(23).allSatisfy { $0["kind"] == "decide" } && all.suffix(6).allSatisfy { $0["kind"] == "review" },
                    "oldest due first, undated last")
            #expect(all.first?["applicant"] == "张*" && all.first?["dueAt"] == "2026-11-27T02:00:00.000Z")
            #expect(try await Self.allPages(node, H.licang, query: "&overdue=true", limit: 10).isEmpty, "nothing is overdue on Friday the 20th")
            #expect(try await Self.allPages(node, H.licang, query: "&kind=review", limit: 4).count == 6)

            // Eight days later the 5-working-day decisions are overdue; reviews have no due date.
            try await H.run(on: node.database, clock: NodeClock(.fixed(Timestamp(iso8601: "2026-11-28T02:00:00Z")!))) { later in
                let overdue = try await Self.allPages(later, H.licang, query: "&overdue=true", limit: 5)
                #expect(overdue.count == 23 && overdue.allSatisfy { $0["overdue"] == true && $0["kind"] == "decide" })
                let onTime = try await Self.allPages(later, H.licang, query: "&overdue=false", limit: 5)
                #expect(onTime.count == 6 && onTime.allSatisfy { $0["overdue"] == false })
                #expect(overdue.filter { $0["urgent"] == true }.count == 8)
            }
        }
    }

    @Test func aCentreSeesOnlyItsOwnItems() async throws {
        try await H.run { node in
            let licangCases = Set(try await Self.populate(node, count: 3, unassessed: 2))
            let wulianCase = try await RefusalTests.assessedCase(node)
            try await node.project()
            let wulian = try await Self.allPages(node, H.wulian, query: "", limit: 50)
            #expect(wulian.map { $0["caseId"]?.stringValue } == [wulianCase])
            let licang = try await Self.allPages(node, H.licang, query: "", limit: 50)
            #expect(Set(licang.compactMap { $0["caseId"]?.stringValue }) == licangCases)
            #expect(try await Self.allPages(node, H.huancui, query: "", limit: 50).isEmpty)
        }
    }

    @Test func theInboxOpensTheNamesSealedBoxItKeepsOrElseTheApplicationInTheLog() async throws {
        try await H.run { node in
            let cases = try await Self.populate(node, count: 2, unassessed: 1)
            try await node.project()
            // The inbox keeps the name's box (ciphertext), one per case, never the name.
            #expect(try await node.database.count("SELECT count(*) FROM projections.inbox_cases WHERE applicant_box IS NOT NULL") == 3)
            #expect(try await Self.allPages(node, H.licang, query: "", limit: 50).map { $0["applicant"] } == Array(repeating: "张*", count: 3))

            // A row projected before the inbox kept boxes: the name is read from the log instead, the same.
            _ = try await node.database.count("""
                WITH cleared AS (UPDATE projections.inbox_cases SET applicant_box = NULL WHERE case_id = '\(cases[0])' RETURNING 1) SELECT count(*) FROM cleared
                """)
            let mixed = try await Self.allPages(node, H.licang, query: "", limit: 50)
            #expect(mixed.count == 3 && mixed.allSatisfy { $0["applicant"] == "张*" }, "\(mixed)")

            // A box is bound to its case: moved onto another case's row it opens nothing there.
            _ = try await node.database.count("""
                WITH moved AS (UPDATE projections.inbox_cases SET applicant_box = (SELECT applicant_box FROM projections.inbox_cases WHERE case_id = '\(cases[2])')
                                WHERE case_id = '\(cases[1])' RETURNING 1) SELECT count(*) FROM moved
                """)
            let moved = try await Self.allPages(node, H.licang, query: "", limit: 50)
            #expect(moved.first { $0["caseId"]?.stringValue == cases[1] }?["applicant"] != "张*", "\(moved)")
            #expect(moved.filter { $0["applicant"] == "张*" }.count == 2, "\(moved)")
        }
    }

    @Test func badInboxQueriesAreNamed() async throws {
        try await H.run { node in
            for (query, field) in [("kind=everything", "kind"), ("overdue=maybe", "overdue"), ("limit=0", "limit"), ("limit=x", "limit"), ("cursor=%%%", "cursor")] {
                let answer = try await node.call(.get, "/v1/inbox?\(query)", as: H.licang)
                #expect(answer.status == .unprocessableContent && answer.json["errors"]?[0]?["field"]?.stringValue == field, "\(query): \(answer.json)")
            }
            #expect(try await node.call(.get, "/v1/inbox", as: nil).status == .unauthorized)
        }
    }
}

import CaseDomain
import EventLog
import Foundation
import Logging
import PostgresNIO

/// Reads a centre's inbox from the live projection: oldest due first (undated last),
/// filtered by kind and overdue, a page at a time.
public struct InboxQuery: Sendable {
    /// One work item as staff see it.
    public struct Item: Sendable, Hashable, Encodable {
        public var kind: String
        public var caseId: String
        public var investigationId: String?
        public var number: String?
        public var applicant: String
        public var fromCentre: String?
        public var receivedAt: Timestamp
        public var dueAt: Timestamp?
        /// Due before the node's clock says now.
        public var overdue: Bool
        public var urgent: Bool
        /// Why a returned transfer came back (``TransferReturnCode``); `nil` on other items.
        public var reasonCode: String?
        /// An investigation's latest extension (`requested`, `granted`, `refused`); `nil` on other items.
        public var `extension`: String?
    }

    /// One page: its items and the cursor of the next page (`nil` on the last).
    public struct Page: Sendable, Encodable {
        public var items: [Item]
        public var nextCursor: String?
        /// By case id, the sealed box of the applicant's name, where the inbox keeps it: for
        /// the node to open with its keys (never part of the answer).
        public var nameBoxes: [String: String] = [:]

        private enum CodingKeys: String, CodingKey {
            case items, nextCursor
        }
    }

    /// Where a page starts: after this item in the inbox's order.
    public struct Cursor: Sendable, Hashable {
        /// Milliseconds of the item's due date; `Int64.max` for an undated item.
        var due: Int64
        var itemID: String

        /// The opaque text form clients send back.
        public var text: String { Data("\(due)|\(itemID)".utf8).base64EncodedString() }

        /// Reads a cursor a client sent back, validated in full: a due date within
        /// ``Timestamp``'s range (or the undated mark) and an item id of at most 200 plain
        /// characters; `nil` for anything else.
        public init?(text: String) {
            guard text.utf8.count <= 400, let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
                  let bar = decoded.firstIndex(of: "|"), let due = Int64(decoded[..<bar]),
                  due == Int64.max || Timestamp(exactly: due) != nil
            else { return nil }
            let itemID = String(decoded[decoded.index(after: bar)...])
            guard !itemID.isEmpty, TextRule.short.violation(of: itemID) == nil else { return nil }
            self.due = due
            self.itemID = itemID
        }

        init(due: Int64, itemID: String) {
            self.due = due
            self.itemID = itemID
        }
    }

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "tongban.inbox")) {
        self.client = client
        self.logger = logger
    }

    /// The page of `centre`'s inbox after `cursor`; `overdue` compares due dates with `now`.
    public func page(centre: CentreID, kind: InboxProjection.Kind? = nil, overdue: Bool? = nil,
                     limit: Int, after cursor: Cursor? = nil, now: Timestamp) async throws -> Page {
        let undated = Int64.max
        let nowMillis = now.millisecondsSinceEpoch
        var rows: [ItemRow] = []
        if kind == nil, overdue == nil {
            // The page staff ask for most (every kind, overdue or not): prepared once per connection.
            rows = try await client.rows(of: UnfilteredPage(centre: centre, after: cursor, limit: limit), logger: logger)
        } else {
            let filtered = try await client.query(Self.statement(centre: centre, kind: kind, overdue: overdue, limit: limit, after: cursor, now: now),
                                                  logger: logger)
            for try await row in filtered.decode(ItemRow.self) { rows.append(row) }
        }
        var items: [Item] = []
        var last: Cursor?
        var more = false
        var nameBoxes: [String: String] = [:]
        for (itemID, kind, caseID, investigationID, number, applicant, fromCentre, received, due, urgent, reasonCode, extensionState, nameBox) in rows {
            guard items.count < limit else { more = true; break }
            items.append(Item(kind: kind, caseId: caseID, investigationId: investigationID, number: number, applicant: applicant,
                              fromCentre: fromCentre, receivedAt: Timestamp(millisecondsSinceEpoch: received),
                              dueAt: due.map(Timestamp.init(millisecondsSinceEpoch:)), overdue: due.map { $0 < nowMillis } ?? false,
                              urgent: urgent, reasonCode: reasonCode, extension: extensionState))
            last = Cursor(due: due ?? undated, itemID: itemID)
            nameBoxes[caseID] = nameBox
        }
        return Page(items: items, nextCursor: more ? last?.text : nil, nameBoxes: nameBoxes)
    }

    /// The query of one page (``page(centre:kind:overdue:limit:after:now:)``): `limit + 1`
    /// rows, to tell whether another page follows.
    static func statement(centre: CentreID, kind: InboxProjection.Kind?, overdue: Bool?, limit: Int, after cursor: Cursor?,
                          now: Timestamp) -> PostgresQuery {
        var binds = Self.pageBindings(centre: centre, after: cursor, limit: limit)
        // Every filter is a condition on the index's columns, so a page reads only its rows:
        // with a kind the (centre, kind, due, item) index serves it, without it (centre, due, item).
        var filters = ""
        if let kind {
            binds.append(kind.rawValue, context: .default)
            filters += " AND kind = $\(binds.count)"
        }
        if let overdue {
            binds.append(now.date, context: .default)
            filters += " AND coalesce(due_at, 'infinity'::timestamptz) \(overdue ? "<" : ">=") $\(binds.count)"
        }
        return PostgresQuery(unsafeSQL: pageSQL(filters: filters), binds: binds)
    }

    /// The page's query with `filters` (conditions on `$5` on) after the centre's condition.
    static func pageSQL(filters: String) -> String {
        """
        SELECT item_id, kind, case_id, investigation_id, number, applicant, from_centre,
               (extract(epoch FROM received_at) * 1000)::bigint, (extract(epoch FROM due_at) * 1000)::bigint, urgent, reason_code, extension_state,
               (SELECT c.applicant_box FROM projections.inbox_cases c WHERE c.case_id = inbox_items.case_id)
          FROM projections.inbox_items
         WHERE centre = $1\(filters)
           AND (coalesce(due_at, 'infinity'::timestamptz), item_id) > ($2::timestamptz, $3)
         ORDER BY coalesce(due_at, 'infinity'::timestamptz), item_id
         LIMIT $4
        """
    }

    /// `$1` to `$4` of a page: the centre, the cursor's (due, item) and `limit + 1`. The page
    /// starts after the cursor in the index's own order: undated items sort as 'infinity',
    /// the first page starts at '-infinity'.
    static func pageBindings(centre: CentreID, after cursor: Cursor?, limit: Int) -> PostgresBindings {
        let undated = Int64.max
        let afterDue = cursor.map { $0.due == undated ? "infinity" : Timestamp(millisecondsSinceEpoch: $0.due).description } ?? "-infinity"
        var binds = PostgresBindings()
        binds.append(centre.rawValue, context: .default)
        binds.append(afterDue, context: .default)
        binds.append(cursor?.itemID ?? "", context: .default)
        binds.append(limit + 1, context: .default)
        return binds
    }

    /// One inbox row as the page's query returns it.
    typealias ItemRow = (String, String, String, String?, String?, String, String?, Int64, Int64?, Bool, String?, String?, String?)

    /// A page without a kind or overdue filter, as a prepared statement.
    struct UnfilteredPage: PostgresPreparedStatement {
        static let sql = InboxQuery.pageSQL(filters: "")
        /// As ``pageBindings(centre:after:limit:)`` binds them: the cursor's due date is text, cast in the query.
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .int8]
        typealias Row = ItemRow
        let centre: CentreID
        let after: Cursor?
        let limit: Int

        func makeBindings() throws -> PostgresBindings { InboxQuery.pageBindings(centre: centre, after: after, limit: limit) }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}

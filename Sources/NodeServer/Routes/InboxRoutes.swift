import CaseDomain
import Casework
import EventLog
import Hummingbird
import Projections

/// `GET /v1/inbox`: the caller's centre's open work items from the inbox projection,
/// oldest due first; overdue against the node's clock.
struct InboxRoutes {
    let inbox: InboxQuery
    let views: Views
    let clock: NodeClock

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("inbox") { request, context in
            let staff = try context.requireStaff()
            let kinds = InboxProjection.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            let kind = try request.queryParameter("kind", expected: "one of \(kinds)", InboxProjection.Kind.init(rawValue:))
            let overdue = try request.queryParameter("overdue", expected: "true or false", Bool.init)
            let limit = try request.queryParameter("limit", expected: "an integer from 1 to 500") { Int($0).flatMap { (1...500).contains($0) ? $0 : nil } } ?? 50
            let cursor = try request.queryParameter("cursor", expected: "not a cursor this node gave out", InboxQuery.Cursor.init(text:))
            let page = try await inbox.page(centre: staff.centre, kind: kind, overdue: overdue, limit: limit, after: cursor, now: clock.now())
            return JSONResponse(try await views.withApplicants(page))
        }
    }
}

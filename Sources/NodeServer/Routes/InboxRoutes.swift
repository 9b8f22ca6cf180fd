import CaseDomain
import EventLog
import Hummingbird
import Projections

/// `GET /v1/inbox`: the caller's centre's open work items from the inbox projection,
/// oldest due first; overdue against the node's clock.
struct InboxRoutes {
    let inbox: InboxQuery
    let clock: NodeClock

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("inbox") { request, context in
            let staff = try context.requireStaff()
            let query = request.uri.queryParameters
            var kind: InboxProjection.Kind?
            if let text = query.get("kind"), !text.isEmpty {
                guard let known = InboxProjection.Kind(rawValue: text) else {
                    throw Problem.invalid("kind", "one of \(InboxProjection.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                kind = known
            }
            var overdue: Bool?
            if let text = query.get("overdue"), !text.isEmpty {
                guard let flag = Bool(text) else { throw Problem.invalid("overdue", "true or false") }
                overdue = flag
            }
            var limit = 50
            if let text = query.get("limit"), !text.isEmpty {
                guard let number = Int(text), (1...500).contains(number) else { throw Problem.invalid("limit", "an integer from 1 to 500") }
                limit = number
            }
            var cursor: InboxQuery.Cursor?
            if let text = query.get("cursor"), !text.isEmpty {
                guard let parsed = InboxQuery.Cursor(text: text) else { throw Problem.invalid("cursor", "not a cursor this node gave out") }
                cursor = parsed
            }
            let page = try await inbox.page(centre: staff.centre, kind: kind, overdue: overdue, limit: limit, after: cursor, now: clock.now())
            return JSONResponse(page)
        }
    }
}

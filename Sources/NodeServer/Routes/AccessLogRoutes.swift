import CaseDomain
import Casework
import Hummingbird

/// `GET /v1/access-log?record=<id>`: who read a case's personal data in plain text on this
/// node (its investigations and scans included), for auditors and the supervisors of the
/// city of the centre that owns it.
struct AccessLogRoutes {
    let views: Views

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("access-log") { request, context in
            let staff = try context.requireStaff()
            let record = try request.queryParameter("record", expected: "a case id (a UUID)") { text -> String? in
                let id = text.lowercased()
                return StreamID.isRecordID(id) ? id : nil
            }
            guard let record else { throw Problem.invalid("record", "give the case: /v1/access-log?record=<case id>") }
            try await views.requireAccessLogReader(staff, of: record)
            let entries = try await views.accessLog.entries(record: record)
            return JSONResponse(["record": JSONValue.string(record), "entries": try CanonicalJSON.jsonValue(of: entries)])
        }
    }
}

import CaseDomain
import Casework
import NodeServer
import Testing

/// A query parameter the spec declares is judged whenever it is present: an empty value is
/// not the default (leaving the parameter out is), so `?to=` is refused like `?to=yesterday`.
/// Found by schemathesis: `GET /v1/stats?to=` and `GET /v1/inbox?overdue=&cursor=` answered
/// 200 as if the parameters were absent.
@Suite("Query parameters")
struct QueryParameterTests {
    typealias H = NodeHarness

    @Test func anEmptyQueryParameterIsRefusedNamingIt() async throws {
        try await H.run { node in
            for (path, field) in [("/v1/stats?to=", "to"), ("/v1/stats?from=", "from"), ("/v1/inbox?overdue=", "overdue"),
                                  ("/v1/inbox?kind=", "kind"), ("/v1/inbox?limit=", "limit"), ("/v1/inbox?cursor=", "cursor")] {
                let answer = try await node.call(.get, path, as: H.wulian)
                #expect(answer.status == .unprocessableContent && answer.problemType == "validation"
                        && answer.json["errors"]?[0]?["field"]?.stringValue == field, "\(path): \(answer.status) \(answer.json)")
            }
            try await node.expect(.ok, .get, "/v1/stats", as: H.wulian)
            try await node.expect(.ok, .get, "/v1/inbox", as: H.wulian)
        }
    }
}

import CaseDomain
import Casework
import Foundation
import Hummingbird

/// Finding one of the centre's own records: `/search?q=` with a case number or a case id
/// opens the case when the signed-in centre takes part in it; anything else is "not found
/// among this centre's records", whether or not the case exists elsewhere. (Applicants'
/// names are sealed in the log, so they are not searched.)
extension StaffPages {
    func addSearchPage(to pages: RouterGroup<NodeRequestContext>) {
        pages.get("search") { request, context in
            let staff = try context.requireStaff()
            let language = PageSession.language(of: request)
            let asked = (request.uri.queryParameters.get("q") ?? "").trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(asked.utf8.count), TextRule.short.violation(of: asked) == nil else {
                throw Problem.invalid("q", "a case number or case id: 1 to 100 plain characters")
            }
            if let id = UUID(uuidString: asked) { return HTML.redirect("/cases/\(id.uuidString.lowercased())") }
            let found = try await views.cases.cases(numbered: asked.uppercased(), takingPart: staff.centre)
            if found.count == 1 { return HTML.redirect("/cases/\(Self.percentEncoded(found[0]))") }
            let text = language == .zh ? "本中心的案件中没有编号为 \(asked) 的案件。" : "No case numbered \(asked) among this centre's records."
            let list = found.map { "<li><a href=\"/cases/\(HTML.escape($0))\">\(HTML.escape($0))</a></li>" }.joined()
            return HTML.page(language == .zh ? "查找案件" : "Find a case", language: language, signedIn: signedIn(staff),
                             csrf: context.sessionToken.map(PageSession.csrf(for:)), body: found.isEmpty ? "<p>\(HTML.escape(text))</p>" : "<ul>\(list)</ul>",
                             status: found.isEmpty ? .notFound : .ok)
        }
    }

    /// The search box the inbox page shows.
    static func searchForm(_ language: Language) -> String {
        let label = language == .zh ? "案件编号或申请编号" : "Case number or id"
        return "<form method=\"get\" action=\"/search\" class=\"search\"><label>\(label) <input name=\"q\" required maxlength=\"100\"></label>"
            + "<button>\(language == .zh ? "查找" : "Find")</button></form>"
    }
}

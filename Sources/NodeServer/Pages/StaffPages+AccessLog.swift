import CaseDomain
import Casework

extension StaffPages {
    /// Who read the case's personal data in plain text on this node, newest first: the
    /// case page shows its readers the record of their reading.
    func accessSection(_ caseID: String, language: Language) async throws -> String {
        let entries = try await views.accessLog.newest(record: caseID.lowercased(), limit: 20)
        var section = "<h2>\(language.text(.accessLog))</h2><table class=\"access-log\"><thead><tr><th>\(language.text(.time))</th>"
            + "<th>\(language.text(.centre))</th><th>\(language.text(.staff))</th><th>\(language.text(.purpose))</th>"
            + "<th>\(language.text(.fields))</th></tr></thead><tbody>"
        for entry in entries {
            section += "<tr><td>\(Self.local(entry.at))</td><td>\(HTML.escape(entry.centre.rawValue))</td><td>\(HTML.escape(entry.staff))</td>"
                + "<td>\(HTML.escape(entry.purpose))</td><td>\(HTML.escape(entry.fields.joined(separator: ", ")))</td></tr>"
        }
        return section + "</tbody></table>"
    }
}

import CaseDomain
import Casework
import Projections

/// The case page's conflict and duplicate check (`GET /v1/cases/{id}/checks` as a table).
extension StaffPages {
    /// The findings as a table; `nil`: the check cannot run now.
    func checksSection(_ findings: [ConflictChecks.Finding]?, language: Language) -> String {
        var section = "<h2>\(language.text(.checks))</h2>"
        guard let findings else { return section + "<p class=\"error\">\(language.text(.checkUnavailable))</p>" }
        guard !findings.isEmpty else { return section + "<p class=\"no-findings\">\(language.text(.noFindings))</p>" }
        section += "<table class=\"findings\"><thead><tr><th>\(language.text(.kind))</th><th>\(language.text(.caseLabel))</th>"
            + "<th>\(language.text(.centre))</th><th>\(language.text(.phase))</th></tr></thead><tbody>"
        for finding in findings {
            section += "<tr data-kind=\"\(HTML.escape(finding.kind.rawValue))\"><td>\(HTML.escape(Self.findingName(finding.kind, language)))</td>"
                + "<td>\(HTML.escape(finding.number ?? finding.caseId))</td><td>\(centreNames.html(finding.centre))</td>"
                + "<td>\(HTML.escape(language.phase(finding.phase)))</td></tr>"
        }
        return section + "</tbody></table>"
    }

    static func findingName(_ kind: ConflictChecks.Finding.Kind, _ language: Language) -> String {
        let (zh, en) = switch kind {
        case .duplicateApplication: ("同一申请人的其他未结申请", "Another open application of the applicant")
        case .adversePartyAided: ("对方当事人曾获法律援助", "The adverse party was aided")
        case .applicantIsAdverseParty: ("申请人是其他受援案件的对方当事人", "The applicant is the adverse party of an aided case")
        }
        return language == .zh ? zh : en
    }
}

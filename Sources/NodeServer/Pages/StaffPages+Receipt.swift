import CaseDomain
import Casework
import Hummingbird

/// The intake form's markup and the printed receipt of an application (申请材料接收凭证).
extension StaffPages {
    /// The most directory venues the form offers as you type (the lookup takes any).
    static let listedVenues = 2000

    /// The new-application form, with the error of a refused submission above it.
    func intakePage(_ language: Language, _ staff: StaffMember, csrf: String, error: Problem?) -> Response {
        func text(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }
        func input(_ name: String, _ label: String, required: Bool = true, type: String = "text") -> String {
            "<label>\(HTML.escape(label)) <input name=\"\(name)\" type=\"\(type)\"\(required ? " required" : "")></label>"
        }
        func box(_ name: String, _ label: String, checked: Bool = false) -> String {
            "<label><input type=\"checkbox\" name=\"\(name)\"\(checked ? " checked" : "")> \(HTML.escape(label))</label>"
        }
        let centres = "<option value=\"\">\(text("按管辖目录（依法院或机构）", "From the directory (by court or body)"))</option>"
            + centreNames.centres.map { "<option value=\"\(HTML.escape($0.rawValue))\">\(HTML.escape(centreNames.text($0)))</option>" }.joined()
        let venues = directory.venues.prefix(Self.listedVenues).map { "<option value=\"\(HTML.escape($0.name))\">" }.joined()
        let cities = Set(centreNames.centres.map(\.node.rawValue)).sorted().map { city in
            "<option value=\"\(HTML.escape(city))\"\(city == staff.centre.node.rawValue ? " selected" : "")>\(HTML.escape(city))</option>"
        }.joined()
        let bases = [("exempt", text("免于经济困难审查（特殊群体）", "Exempt (special group)")), ("certificate", text("困难证明", "Hardship certificate")),
                     ("promise", text("个人诚信承诺", "Personal promise"))]
            .map { "<option value=\"\($0.0)\">\(HTML.escape($0.1))</option>" }.joined()
        let banner = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0.detail))</p>" } ?? ""
        let body = banner + """
            <form method="post" action="/intake" enctype="multipart/form-data" id="intake"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
            <fieldset><legend>\(text("申请人", "Applicant"))</legend>\(input("name", text("姓名", "Name")))\(input("idNumber", text("身份证号", "ID number")))
            \(input("phone", text("手机号", "Mobile phone")))<label>\(text("户籍城市", "Home city")) <select name="homeCity">\(cities)</select></label>
            \(input("groups", text("特殊群体（逗号分隔，如 migrant-worker）", "Special groups (comma-separated, e.g. migrant-worker)"), required: false))</fieldset>
            <fieldset><legend>\(text("法律事项", "Matter"))</legend>\(box("litigation", text("诉讼事项", "Litigation"), checked: true))
            \(input("cause", text("案由", "Cause")))<label>\(text("案情摘要", "Summary")) <textarea name="summary" rows="3" cols="60"></textarea></label>
            <label>\(text("管辖法院或机构", "Court or body")) <input name="venue" type="text" list="venues" required></label><datalist id="venues">\(venues)</datalist><label>\(text("管辖法律援助中心", "Jurisdiction centre")) <select name="jurisdictionCentre">\(centres)</select></label>
            \(input("adverseName", text("对方当事人", "Adverse party"), required: false))\(input("adverseId", text("对方身份证号或统一社会信用代码", "Adverse party's ID number or credit code"), required: false))
            \(box("urgent", text("紧急", "Urgent")))</fieldset>
            <fieldset><legend>\(text("经济困难", "Hardship"))</legend><label>\(text("依据", "Basis")) <select name="hardshipBasis">\(bases)</select></label>
            \(input("group", text("免审群体", "Exempt group"), required: false))\(input("certificateId", text("困难证明编号", "Certificate id"), required: false))
            \(input("statement", text("承诺内容", "Statement"), required: false))</fieldset>
            <fieldset><legend>\(text("信息核对授权", "Consent"))</legend>\(box("shareWithJurisdiction", text("同意向管辖中心提供申请信息", "Share with the jurisdiction centre")))
            \(box("checksByOtherCities", text("同意异地核查", "Checks by other cities")))</fieldset>
            <fieldset><legend>\(text("申请材料扫描件（PDF、JPEG、PNG，每件不超过 20 MiB）", "Scans (PDF, JPEG, PNG, at most 20 MiB each)"))</legend>
            <input type="file" name="scans" multiple accept="application/pdf,image/jpeg,image/png"></fieldset>
            <button>\(text("提交申请", "Submit the application"))</button></form>
            """
        return HTML.page(text("受理申请", "New application"), language: language, signedIn: signedIn(staff), csrf: csrf, body: body,
                         status: error?.status ?? .ok)
    }

    /// The receipt of an application: who received which materials when, each with the
    /// start of its fingerprint (the whole one would let whoever holds the paper name the
    /// scan in a record of their own and read it), and the verification code of the
    /// application's event.
    func receiptPage(_ caseID: String, _ language: Language, _ staff: StaffMember, csrf: String) async throws -> Response {
        func text(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }
        let (view, timeline) = try await views.caseWithTimeline(caseID, for: staff, purpose: "intake-receipt")
        guard let submitted = timeline.first(where: { $0.type == "ApplicationSubmitted" }) else { throw Problem(.notFound, "no application in case \(caseID)") }
        var documents = ""
        if case .array(let items)? = submitted.body["documents"] {
            documents = items.map { item in
                "<tr><td>\(HTML.escape(item["name"]?.stringValue ?? ""))</td><td>\(item["size"]?.integerValue.map(String.init) ?? "")</td>"
                    + "<td class=\"fingerprint\">\(HTML.escape(String((item["sha256"]?.stringValue ?? "").prefix(16))))…</td></tr>"
            }.joined()
        }
        let rows: [(String, String)] = [
            (text("申请人", "Applicant"), view.applicant?.name ?? "—"), (text("身份证号", "ID number"), view.applicant?.idNumber ?? "—"),
            (text("接收机构", "Received by"), view.intakeCentre.map(centreNames.text) ?? "—"),
            (text("接收时间", "Received at"), Self.local(submitted.recordedAt)), (text("申请编号", "Application"), view.caseId),
        ]
        let body = "<h2>\(text("法律援助申请材料接收凭证", "Receipt of a legal-aid application"))</h2><dl class=\"receipt\">"
            + rows.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
            + "<table><thead><tr><th>\(text("材料", "Material"))</th><th>\(text("字节", "Bytes"))</th><th>SHA-256 (\(text("前 16 位", "first 16 digits")))</th></tr></thead><tbody>\(documents)</tbody></table>"
            + "<p>\(text("核验码", "Verification code")): <span class=\"fingerprint\" data-field=\"verification\">\(HTML.escape(submitted.hash))</span>"
            + " — \(text("任一节点的 /verify/ 加核验码可核对本凭证", "any node's /verify/ followed by the code confirms this receipt"))</p>"
            + "<p><a href=\"/cases/\(HTML.escape(view.caseId))\">\(text("返回案件", "Back to the case"))</a></p>"
        return HTML.page(text("申请材料接收凭证", "Application receipt"), language: language, signedIn: signedIn(staff),
                         csrf: csrf, body: body)
    }
}

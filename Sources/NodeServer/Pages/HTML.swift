import Foundation
import Hummingbird

/// Server-rendered HTML for the staff pages: escaping, the page frame and the labels in
/// Chinese (the default) and English.
enum HTML {
    /// Text made safe for element content and quoted attribute values. It works on Unicode
    /// scalars, not characters: a prepended mark (U+0600) or a combining one (U+0301) in the
    /// same grapheme cluster as `<`, `>`, `&` or a quote does not hide it.
    static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    /// What a page may load and where it may lead: nothing but its own inline style and
    /// images, forms posted back here only, no `<base>`, no plugins, never in a frame.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

    /// A whole page: `body` is already HTML.
    static func page(_ title: String, language: Language, signedIn: String?, csrf: String?, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let other = language == .zh ? Language.en : .zh
        var header = "<header><strong>通办 tongban</strong>"
        if let signedIn, let csrf {
            header += """
                 <nav><a href="/inbox">\(language.text(.inbox))</a> <a href="/intake">\(language.text(.newApplication))</a> <a href="/certificates">\(language.text(.certificates))</a> <a href="/lawyers">\(language.text(.roster))</a> <a href="/statistics">\(language.text(.statistics))</a></nav>
                 <span class="who">\(escape(signedIn))</span>
                 <form method="post" action="/sign-out" class="inline"><input type="hidden" name="csrf" value="\(escape(csrf))"><button>\(language.text(.signOut))</button></form>
                """
        }
        header += " <a class=\"lang\" href=\"/language/\(other.rawValue)\">\(other.name)</a></header>"
        let html = """
            <!doctype html>
            <html lang="\(language.htmlCode)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · tongban</title><style>\(style)</style></head>
            <body>\(header)<main><h1>\(escape(title))</h1>\(body)</main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("Content-Security-Policy")!] = contentSecurityPolicy
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 to `location`.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    private static let style = """
        body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
        header{display:flex;gap:1.2em;align-items:center;padding:.6em 1.5em;background:#17324d;color:#fff}
        header a{color:#fff}header button{color:#fff;background:transparent;border:1px solid #fff;border-radius:3px;cursor:pointer}header nav{display:flex;gap:1em}.who{margin-left:auto}.lang{margin-left:1em}
        main{max-width:72em;margin:1.5em auto;padding:0 1.5em}table{border-collapse:collapse;width:100%;background:#fff}
        th,td{border-bottom:1px solid #dde2e8;padding:.45em .6em;text-align:left;vertical-align:top}th{background:#eef1f5}
        .overdue{color:#b00020;font-weight:bold}.urgent{color:#a15c00;font-weight:bold}.error{background:#fde8ea;border:1px solid #b00020;padding:.6em}
        .fingerprint{font-family:monospace;font-size:.85em;word-break:break-all}form.inline{display:inline}
        @page{size:A4;margin:18mm}@media print{header,nav,form{display:none}body{background:#fff}main{max-width:none;margin:0}}
        fieldset{background:#fff;border:1px solid #dde2e8;margin:1em 0}label{display:block;margin:.3em 0}dl{display:grid;grid-template-columns:12em 1fr}
        """
}

/// The language of the staff pages: Chinese unless the staff member picked English.
enum Language: String, Sendable {
    case zh
    case en

    var htmlCode: String { self == .zh ? "zh-CN" : "en" }
    var name: String { self == .zh ? "中文" : "English" }

    /// The name of an inbox item kind (`review`, `incoming-transfer`, …) in this language.
    func kind(_ kind: String) -> String {
        let names: [String: (String, String)] = [
            "review": ("待审查", "To review"), "incoming-transfer": ("转入案件", "Incoming transfer"), "decide": ("待决定", "To decide"),
            "assign-lawyer": ("待指派律师", "Lawyer to assign"), "materials-pending": ("待补材料", "Materials pending"),
            "incoming-investigation": ("调查委托", "Investigation request"), "investigation-to-report": ("待报告调查", "Investigation to report"),
            "investigation-findings": ("调查结果", "Findings returned"), "returned-transfer": ("退回转办", "Returned transfer"),
            "awaiting-findings": ("等待调查结果", "Awaiting findings"), "extension-request": ("延期申请", "Extension asked"),
        ]
        guard let (zh, en) = names[kind] else { return kind }
        return self == .zh ? zh : en
    }

    enum Label {
        case inbox, newApplication, certificates, signIn, signOut, token, signInHelp, devSignIn, supervisor, kind, allKinds, overdueOnly, filter, caseLabel, number, applicant
        case received, due, overdue, urgent, next, noItems, phase, owner, intake, jurisdiction, lawyer, documents, name, mediaType
        case fingerprint, timeline, time, node, centre, staff, event, investigations, actions, expectedVersion, eligible, reason
        case assess, acceptTransfer, decide, granted, idNumber, holderName, check, status, issuingCity, validUntil, noCertificates, from, statistics
        case requestTransfer, returnTransfer, cancelTransfer, reasonCode, firm, collectOriginals, close, outcome, recovered, archive
        case requestInvestigation, questions, dueDays, acceptInvestigation, declineInvestigation, reportFindings, findings, acknowledgeFindings
        case accessLog, purpose, fields
        case requestExtension, decideExtension, days, grantExtension, extensionPending
        case checks, noFindings, conflictReason, checkUnavailable, adverseParty, supplyMaterials, openCases, chosenByApplicant
        case deliveries, letter, sentTo, sent, delivered, firstOpened, notYet, verificationCode
        case roster, practiceAreas, languages, takingCases, notTakingCases, takeOffRoster, putOnRoster, listLawyer
    }

    /// A returned transfer's reason code (``TransferReturnCode``) in this language.
    func returnCode(_ code: String) -> String {
        let names: [String: (String, String)] = [
            "wrong-jurisdiction": ("不属本中心管辖", "wrong jurisdiction"), "conflict-of-interest": ("利益冲突", "conflict of interest"),
            "not-eligible-locally": ("不符合本地受援条件", "not eligible here"), "duplicate": ("重复申请", "duplicate"), "other": ("其他", "other"),
        ]
        guard let (zh, en) = names[code] else { return code }
        return self == .zh ? zh : en
    }

    /// An extension's state (`requested`, `granted`, `refused`) in this language.
    func extensionState(_ state: String) -> String {
        let names: [String: (String, String)] = [
            "requested": ("已申请延期", "extension asked"), "granted": ("已准予延期", "extension granted"), "refused": ("未准延期", "extension refused"),
        ]
        guard let (zh, en) = names[state] else { return state }
        return self == .zh ? zh : en
    }

    func text(_ label: Label) -> String {
        let (zh, en): (String, String) = switch label {
        case .inbox: ("待办", "Inbox")
        case .newApplication: ("受理申请", "New application")
        case .certificates: ("困难证明核验", "Certificate check")
        case .signIn: ("登录", "Sign in")
        case .signOut: ("退出", "Sign out")
        case .token: ("工作人员令牌", "Staff token")
        case .devSignIn: ("开发环境：直接以本节点的中心登录", "Development: sign in as one of this node's centres")
        case .supervisor: ("主管", "supervisor")
        case .signInHelp: ("粘贴本中心的工作人员令牌（tongban token issue 生成）。", "Paste your centre's staff token (made by tongban token issue).")
        case .kind: ("类型", "Kind")
        case .allKinds: ("全部", "All")
        case .overdueOnly: ("仅逾期", "Overdue only")
        case .filter: ("筛选", "Filter")
        case .caseLabel: ("案件", "Case")
        case .number: ("编号", "Number")
        case .applicant: ("申请人", "Applicant")
        case .received: ("收到", "Received")
        case .due: ("期限", "Due")
        case .overdue: ("逾期", "Overdue")
        case .urgent: ("紧急", "Urgent")
        case .next: ("下一页", "Next page")
        case .noItems: ("没有待办事项。", "Nothing waits for this centre.")
        case .phase: ("状态", "Phase")
        case .owner: ("承办中心", "Owner")
        case .intake: ("受理中心", "Intake centre")
        case .jurisdiction: ("管辖中心", "Jurisdiction")
        case .lawyer: ("律师", "Lawyer")
        case .documents: ("材料", "Documents")
        case .name: ("名称", "Name")
        case .mediaType: ("类型", "Type")
        case .fingerprint: ("指纹 (SHA-256)", "Fingerprint (SHA-256)")
        case .timeline: ("跨节点时间线", "Timeline across nodes")
        case .accessLog: ("个人信息查阅记录", "Who read the personal data")
        case .purpose: ("用途", "Purpose")
        case .fields: ("内容", "What")
        case .time: ("时间", "Time")
        case .node: ("节点", "Node")
        case .centre: ("中心", "Centre")
        case .staff: ("人员", "Staff")
        case .event: ("事件", "Event")
        case .investigations: ("异地调查", "Investigations")
        case .actions: ("办理", "Actions")
        case .expectedVersion: ("版本", "Version")
        case .eligible: ("符合受理条件", "Eligible")
        case .reason: ("理由", "Reason")
        case .assess: ("审查", "Assess")
        case .acceptTransfer: ("接收转办", "Accept the transfer")
        case .decide: ("作出决定", "Decide")
        case .granted: ("给予法律援助", "Grant legal aid")
        case .idNumber: ("身份证号", "ID number")
        case .check: ("核验", "Check")
        case .status: ("状态", "Status")
        case .issuingCity: ("出具城市", "Issuing city")
        case .validUntil: ("有效期至", "Valid until")
        case .holderName: ("持证人姓名", "Holder's name")
        case .noCertificates: ("没有与该身份证号和姓名相符的困难证明。", "No hardship certificate matches this ID number and name.")
        case .from: ("来自", "From")
        case .statistics: ("统计", "Statistics")
        case .requestTransfer: ("转办", "Transfer")
        case .returnTransfer: ("退回转办", "Return the transfer")
        case .cancelTransfer: ("撤回转办", "Cancel the transfer")
        case .reasonCode: ("退回原因类别", "Reason code")
        case .firm: ("律师事务所", "Law firm")
        case .collectOriginals: ("已收原件", "Originals collected")
        case .close: ("结案", "Close")
        case .outcome: ("结果", "Outcome")
        case .recovered: ("挽回金额（分）", "Recovered (fen)")
        case .archive: ("归档", "Archive")
        case .requestInvestigation: ("委托异地调查", "Request an investigation")
        case .questions: ("调查事项", "Questions")
        case .dueDays: ("期限（天）", "Due in (days)")
        case .acceptInvestigation: ("接受调查委托", "Accept the request")
        case .declineInvestigation: ("拒绝调查委托", "Decline the request")
        case .reportFindings: ("报告调查结果", "Report the findings")
        case .findings: ("调查结果", "Findings")
        case .acknowledgeFindings: ("确认收到结果", "Acknowledge the findings")
        case .requestExtension: ("申请延长调查期限", "Ask for more time")
        case .decideExtension: ("审批延期申请", "Decide on the extension")
        case .days: ("天数", "Days")
        case .grantExtension: ("准予延期", "Grant the extension")
        case .extensionPending: ("延期申请待审批（天）", "Extension asked (days)")
        case .checks: ("利益冲突与重复申请核查", "Conflict and duplicate check")
        case .adverseParty: ("对方当事人", "Adverse party")
        case .openCases: ("在办案件", "open cases")
        case .chosenByApplicant: ("受援人自选律师（点援制）", "Chosen by the applicant from the roster")
        case .supplyMaterials: ("补充材料（上传扫描件）", "Supply the missing materials (scans)")
        case .noFindings: ("未发现其他相关案件。", "No other case of these parties.")
        case .checkUnavailable: ("核查暂时无法进行：继续办理需说明理由。", "The check cannot run now: going ahead needs a reason.")
        case .conflictReason: ("存在核查发现时继续办理的理由", "Why go ahead despite the findings")
        case .deliveries: ("送达情况", "Deliveries")
        case .letter: ("文书", "Letter")
        case .sentTo: ("受送达机构", "Sent to")
        case .sent: ("发出", "Sent")
        case .delivered: ("送达", "Delivered")
        case .firstOpened: ("首次查阅", "First opened")
        case .notYet: ("尚未", "not yet")
        case .verificationCode: ("核验码", "Verification code")
        case .roster: ("律师名册", "Lawyer roster")
        case .practiceAreas: ("执业领域", "Practice areas")
        case .languages: ("语言", "Languages")
        case .takingCases: ("可指派", "Taking cases")
        case .notTakingCases: ("暂停指派", "Not taking cases")
        case .takeOffRoster: ("暂停指派", "Take off new assignments")
        case .putOnRoster: ("恢复指派", "Take cases again")
        case .listLawyer: ("登记律师", "List a lawyer")
        }
        return self == .zh ? zh : en
    }
}

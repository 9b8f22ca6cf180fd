import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Hummingbird
import Projections

/// The staff web pages, server-rendered (sign-in is ``SignInPage``): the centre's inbox,
/// a case with its documents and cross-node timeline and the forms its state allows, and
/// the certificate check (StaffPages+Certificates). The forms run the same commands as the
/// API, through the same workflow and the same participation checks.
struct StaffPages {
    let access: StaffAccess
    /// The centres whose staff sign in here.
    let centres: Set<CentreID>
    /// Every centre of the federation, where a case may be transferred, by name.
    let centreNames: CentreNames
    /// Where a matter belongs, by its venue: the intake form's suggestion.
    let directory: JurisdictionDirectory
    /// The sign-in page offers the served centres at a click (``NodeServer/Configuration/devSignIn``).
    let devSignIn: Bool
    let workflow: Workflow
    /// Where the intake form's scans are stored.
    let scans: DocumentStore
    /// A pending transfer's cancel goes to the target's node.
    let cancellation: TransferCancellation
    /// An extension's decision goes to the requested centre's node.
    let extensionDecision: ExtensionDecision
    /// The centre's roster, which the assignment form picks from.
    let roster: RosterRoutes
    let views: Views
    let inbox: InboxQuery
    let statistics: StatisticsQuery
    let clock: NodeClock

    struct CSRFForm: Decodable { var csrf: String? }
    struct AssessForm: Decodable { var csrf: String?; var expectedVersion: Int64; var eligible: String?; var reason: String }
    struct VersionForm: Decodable { var csrf: String?; var expectedVersion: Int64 }
    struct DecisionForm: Decodable { var csrf: String?; var expectedVersion: Int64; var granted: String?; var reason: String; var conflictReason: String? }
    struct AcceptForm: Decodable { var csrf: String?; var expectedVersion: Int64; var conflictReason: String? }
    struct TransferForm: Decodable { var csrf: String?; var expectedVersion: Int64; var toCentre: String; var reason: String; var legalBasis: String? }
    struct ReasonForm: Decodable { var csrf: String?; var expectedVersion: Int64; var reason: String }
    struct ReturnForm: Decodable { var csrf: String?; var expectedVersion: Int64; var reasonCode: String?; var reason: String }
    /// A roster lawyer (`lawyerId`), or a name and firm at a centre without a roster.
    struct LawyerForm: Decodable {
        var csrf: String?; var expectedVersion: Int64; var lawyerId: String?; var lawyer: String?; var firm: String?; var chosenByApplicant: String?
    }
    struct CloseForm: Decodable { var csrf: String?; var expectedVersion: Int64; var outcome: String; var recoveredAmount: Int64? }
    struct InvestigationRequestForm: Decodable { var csrf: String?; var toCentre: String; var questions: String; var dueDays: Int }
    /// A form on an investigation request; `caseId` is where the page returns to.
    struct InvestigationForm: Decodable {
        var csrf: String?; var expectedVersion: Int64; var caseId: String
        var reason: String?; var lawyer: String?; var firm: String?; var findings: String?
    }

    /// The commands on a case the case page has a form for, each posted to its own route
    /// (``CaseCommand/Kind/route``, at the root): what `/openapi.json` must list as pages.
    static let formCommands: [CaseCommand.Kind] = [
        .assess, .supplyMaterials, .requestTransfer, .acceptTransfer, .returnTransfer, .cancelTransfer, .decide, .assignLawyer,
        .collectOriginals, .close, .archive,
    ]

    /// Registers the form post of `kind` at its route.
    func post(_ kind: CaseCommand.Kind, to pages: RouterGroup<NodeRequestContext>,
                      _ handler: @escaping @Sendable (Request, NodeRequestContext) async throws -> Response) {
        assert(Self.formCommands.contains(kind), "a form post for \(kind), which StaffPages.formCommands lacks")
        pages.post(RouterPath(kind.route), use: handler)
    }

    func add(to router: Router<NodeRequestContext>) {
        router.get("/") { _, _ in HTML.redirect("/inbox") }
        SignInPage(access: access, centres: centres, devCentres: devSignIn ? centreNames.named(centres) : []).add(to: router)
        router.get("language/{code}") { _, context in
            let language = Language(rawValue: try context.parameters.require("code")) ?? .zh
            var response = HTML.redirect("/inbox")
            response.setCookie(Cookie(name: PageSession.languageCookie, value: language.rawValue, maxAge: 365 * 86_400, path: "/",
                                      httpOnly: true, sameSite: .strict))
            return response
        }

        let pages = router.group().add(middleware: PageAuthentication(access: access, centres: centres)).add(middleware: PageProblemMiddleware())
        pages.post("sign-out") { request, context in
            _ = try await checkedForm(CSRFForm.self, request, context, csrf: \.csrf)
            if let secret = context.sessionToken.flatMap(SessionSecret.init(cookie:)) { try await access.signOut(secret) }
            var response = HTML.redirect("/sign-in")
            response.setCookie(PageSession.signOutCookie(secure: access.secureCookies))
            return response
        }
        pages.get("inbox") { request, context in try await inboxPage(request, context) }
        pages.get("cases/{id}") { request, context in
            try await casePage(try context.parameters.require("id"), request, context, error: nil)
        }
        post(.assess, to: pages) { request, context in
            let form = try await checkedForm(AssessForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion,
                                 .assess(eligible: form.eligible == "on", reason: form.reason, missing: []))
        }
        post(.acceptTransfer, to: pages) { request, context in
            let form = try await checkedForm(AcceptForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion, .acceptTransfer, conflictReason: form.conflictReason)
        }
        post(.decide, to: pages) { request, context in
            let form = try await checkedForm(DecisionForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion, .decide(granted: form.granted == "on", reason: form.reason),
                                 conflictReason: form.conflictReason)
        }
        post(.requestTransfer, to: pages) { request, context in
            let form = try await checkedForm(TransferForm.self, request, context, csrf: \.csrf)
            guard let target = CentreID(rawValue: form.toCentre) else { throw Problem.invalid("toCentre", "a centre id such as qingdao-licang") }
            return try await act(request, context, form.expectedVersion, .requestTransfer(to: target, reason: form.reason, legalBasis: form.legalBasis))
        }
        post(.returnTransfer, to: pages) { request, context in
            let form = try await checkedForm(ReturnForm.self, request, context, csrf: \.csrf)
            guard let code = TransferReturnCode(rawValue: form.reasonCode ?? TransferReturnCode.other.rawValue) else {
                throw Problem.invalid("reasonCode", "one of \(TransferReturnCode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try await act(request, context, form.expectedVersion, .returnTransfer(code: code, reason: form.reason))
        }
        post(.cancelTransfer, to: pages) { request, context in
            let form = try await checkedForm(ReasonForm.self, request, context, csrf: \.csrf)
            let caseID = try context.parameters.require("id")
            do {
                _ = try await cancellation.cancel(caseID, expectedVersion: form.expectedVersion, reason: form.reason, by: try context.requireStaff())
                return HTML.redirect("/cases/\(Self.percentEncoded(caseID))")
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return try await casePage(caseID, request, context, error: problem)
            }
        }
        post(.assignLawyer, to: pages) { request, context in
            let form = try await checkedForm(LawyerForm.self, request, context, csrf: \.csrf)
            let picked: (lawyer: String, firm: String)
            do {
                picked = try await workflow.assignee(on: try context.parameters.require("id"), for: .assignLawyer,
                                                     lawyerID: form.lawyerId.flatMap { $0.isEmpty ? nil : $0 }, lawyer: form.lawyer, firm: form.firm,
                                                     by: try context.requireStaff())
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return try await casePage(try context.parameters.require("id"), request, context, error: problem)
            }
            return try await act(request, context, form.expectedVersion,
                                 .assignLawyer(lawyer: picked.lawyer, firm: picked.firm, chosenByApplicant: form.chosenByApplicant == "on"))
        }
        post(.collectOriginals, to: pages) { request, context in
            let form = try await checkedForm(VersionForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion, .collectOriginals)
        }
        post(.close, to: pages) { request, context in
            let form = try await checkedForm(CloseForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion, .close(outcome: form.outcome, recoveredAmount: form.recoveredAmount ?? 0))
        }
        post(.archive, to: pages) { request, context in
            let form = try await checkedForm(VersionForm.self, request, context, csrf: \.csrf)
            return try await act(request, context, form.expectedVersion, .archive)
        }
        pages.post("cases/{id}/investigations") { request, context in
            let form = try await checkedForm(InvestigationRequestForm.self, request, context, csrf: \.csrf)
            let caseID = try context.parameters.require("id")
            guard let target = CentreID(rawValue: form.toCentre) else { throw Problem.invalid("toCentre", "a centre id such as weihai-huancui") }
            do {
                _ = try await workflow.requestInvestigation(for: caseID, toCentre: target, questions: [form.questions], dueDays: form.dueDays,
                                                            by: try context.requireStaff())
                return HTML.redirect("/cases/\(Self.percentEncoded(caseID))")
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return try await casePage(caseID, request, context, error: problem)
            }
        }
        for (path, command) in [("accept", "accept"), ("decline", "decline"), ("lawyer", "lawyer"), ("report", "report"), ("acknowledge", "acknowledge")] {
            pages.post("investigations/{id}/\(path)") { request, context in
                let form = try await checkedForm(InvestigationForm.self, request, context, csrf: \.csrf)
                let investigationCommand: Investigation.Command = switch command {
                case "accept": .accept(number: "")
                case "decline": .decline(reason: form.reason ?? "")
                case "lawyer": .assignLawyer(lawyer: form.lawyer ?? "", firm: form.firm ?? "")
                case "report": .report(findings: form.findings ?? "", documents: [])
                default: .acknowledge
                }
                do {
                    _ = try await workflow.act(onInvestigation: try context.parameters.require("id"), expectedVersion: form.expectedVersion,
                                               investigationCommand, by: try context.requireStaff())
                    return HTML.redirect("/cases/\(Self.percentEncoded(form.caseId))")
                } catch {
                    guard let problem = Problem(refusal: error) else { throw error }
                    return try await casePage(form.caseId, request, context, error: problem)
                }
            }
        }
        addExtensionPages(to: pages)
        addMaterialsPage(to: pages)
        addLetterPages(to: pages)
        addCertificatePages(to: pages)
        addRosterPages(to: pages)
        addIntakePages(to: pages)
        addSearchPage(to: pages)
        pages.get("statistics") { request, context in try await statisticsPage(request, context) }
    }

    // MARK: Inbox

    private func inboxPage(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let staff = try context.requireStaff()
        let language = PageSession.language(of: request)
        let query = request.uri.queryParameters
        let kind = query.get("kind").flatMap(InboxProjection.Kind.init(rawValue:))
        let overdueOnly = query.get("overdue") == "true"
        let cursor = query.get("cursor").flatMap(InboxQuery.Cursor.init(text:))
        let page = try await views.withApplicants(try await inbox.page(centre: staff.centre, kind: kind, overdue: overdueOnly ? true : nil,
                                                                      limit: 25, after: cursor, now: clock.now()))
        let options = ([("", language.text(.allKinds))] + InboxProjection.Kind.allCases.map { ($0.rawValue, language.kind($0.rawValue)) }).map { value, label in
            "<option value=\"\(value)\"\(kind?.rawValue == value || (kind == nil && value.isEmpty) ? " selected" : "")>\(HTML.escape(label))</option>"
        }.joined()
        var body = """
            <form method="get" action="/inbox"><label>\(language.text(.kind)) <select name="kind">\(options)</select></label>
            <label><input type="checkbox" name="overdue" value="true"\(overdueOnly ? " checked" : "")> \(language.text(.overdueOnly))</label>
            <button>\(language.text(.filter))</button></form>\(Self.searchForm(language))
            """
        if page.items.isEmpty {
            body += "<p>\(language.text(.noItems))</p>"
        } else {
            body += "<table><thead><tr><th>\(language.text(.kind))</th><th>\(language.text(.caseLabel))</th><th>\(language.text(.applicant))</th>"
                + "<th>\(language.text(.from))</th><th>\(language.text(.received))</th><th>\(language.text(.due))</th><th></th></tr></thead><tbody>"
            for item in page.items {
                let marks = [item.overdue ? "<span class=\"overdue\">\(language.text(.overdue))</span>" : nil,
                             item.urgent ? "<span class=\"urgent\">\(language.text(.urgent))</span>" : nil].compactMap { $0 }.joined(separator: " ")
                let rowClass = item.overdue ? "item overdue-item" : "item"
                body += "<tr class=\"\(rowClass)\" data-kind=\"\(HTML.escape(item.kind))\"><td>\(HTML.escape(language.kind(item.kind)))"
                    + "\(item.reasonCode.map { " <span class=\"reason-code\" data-code=\"\(HTML.escape($0))\">\(HTML.escape(language.returnCode($0)))</span>" } ?? "")"
                    + "\(item.extension.map { " <span class=\"extension\">\(HTML.escape(language.extensionState($0)))</span>" } ?? "")</td>"
                    + "<td><a href=\"/cases/\(HTML.escape(item.caseId))\">\(HTML.escape(item.number ?? String(item.caseId.prefix(13))))</a></td>"
                    + "<td>\(HTML.escape(item.applicant))</td><td>\(centreNames.html(item.fromCentre.flatMap(CentreID.init(rawValue:))))</td>"
                    + "<td>\(Self.local(item.receivedAt))</td><td>\(item.dueAt.map(Self.local) ?? "")</td><td>\(marks)</td></tr>"
            }
            body += "</tbody></table>"
        }
        if let next = page.nextCursor {
            var parameters = ["cursor=\(Self.percentEncoded(next))"]
            if let kind { parameters.append("kind=\(kind.rawValue)") }
            if overdueOnly { parameters.append("overdue=true") }
            body += "<p><a rel=\"next\" href=\"/inbox?\(parameters.joined(separator: "&amp;"))\">\(language.text(.next))</a></p>"
        }
        return HTML.page("\(language.text(.inbox)) · \(centreNames.text(staff.centre))", language: language, signedIn: signedIn(staff),
                         csrf: context.sessionToken.map(PageSession.csrf(for:)), body: body)
    }

    // MARK: Statistics

    /// A period (`from`, `to`; by default the 30 days up to now): per measure, a chart of each
    /// centre's median duration, and a chart of what is overdue now.
    private func statisticsPage(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let staff = try context.requireStaff()
        let language = PageSession.language(of: request)
        let now = clock.now()
        let query = request.uri.queryParameters
        // By default up to and including now (the period's end is exclusive).
        let to = query.get("to").flatMap(Timestamp.init(iso8601:)) ?? Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 1)
        let from = query.get("from").flatMap(Timestamp.init(iso8601:)) ?? Timestamp(millisecondsSinceEpoch: to.millisecondsSinceEpoch - 30 * 86_400_000)
        let centres = try await statistics.figures(from: from, to: to, now: now).sorted { $0.centre < $1.centre }
        let measures = Set(centres.flatMap(\.measures.keys)).sorted()
        var body = "<p>\(Self.local(from)) – \(Self.local(to))</p>"
        if measures.isEmpty { body += "<p>—</p>" }
        for measure in measures {
            let bars = centres.compactMap { centre in centre.measures[measure]?.medianHours.map { (centre.centre, $0) } }
            body += "<h2>\(HTML.escape(measure))</h2>" + Self.barChart(bars, unit: language == .zh ? "小时（中位数）" : "hours (median)")
        }
        let overdue = centres.map { centre in (centre.centre, Double(centre.measures.values.reduce(0) { $0 + $1.overdueNow })) }.filter { $0.1 > 0 }
        body += "<h2>\(language.text(.overdue))</h2>" + (overdue.isEmpty ? "<p>0</p>" : Self.barChart(overdue, unit: language == .zh ? "件" : "items"))
        return HTML.page(language.text(.statistics), language: language, signedIn: signedIn(staff),
                         csrf: context.sessionToken.map(PageSession.csrf(for:)), body: body)
    }

    /// A horizontal bar chart as inline SVG: one labelled bar per `(label, value)`.
    static func barChart(_ bars: [(String, Double)], unit: String) -> String {
        guard let largest = bars.map(\.1).max(), largest > 0 else { return "<p>—</p>" }
        let rowHeight = 26, labelWidth = 200, barWidth = 420
        var svg = "<svg class=\"chart\" role=\"img\" width=\"\(labelWidth + barWidth + 90)\" height=\"\(bars.count * rowHeight + 24)\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" font-size=\"13\">"
        for (index, (label, value)) in bars.enumerated() {
            let y = index * rowHeight
            let width = max(1, Int(Double(barWidth) * value / largest))
            svg += "<text x=\"0\" y=\"\(y + 17)\">\(HTML.escape(label))</text>"
                + "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(width)\" height=\"18\" fill=\"#2f6690\"><title>\(HTML.escape(label)): \(String(format: "%.1f", value))</title></rect>"
                + "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 17)\">\(String(format: "%.1f", value))</text>"
        }
        svg += "<text x=\"\(labelWidth)\" y=\"\(bars.count * rowHeight + 18)\" fill=\"#555\">\(HTML.escape(unit))</text></svg>"
        return svg
    }

    // MARK: Helpers

    /// Who is signed in, as the page header shows it: staff id at the centre's name.
    func signedIn(_ staff: StaffMember) -> String { "\(staff.staff) @ \(centreNames.text(staff.centre))" }

    /// A form body, refused with 403 unless it carries the session's CSRF token.
    func checkedForm<Form: Decodable>(_: Form.Type, _ request: Request, _ context: NodeRequestContext,
                                              csrf: KeyPath<Form, String?>) async throws -> Form {
        let form = try await Self.decode(Form.self, request)
        guard let token = context.sessionToken, PageSession.isValidCSRF(form[keyPath: csrf], for: token) else {
            throw Problem(.forbidden, "the form's CSRF token is missing or wrong: reload the page and send it again")
        }
        return form
    }

    /// A time in China (UTC+8), to the minute.
    static func local(_ time: Timestamp) -> String {
        let shifted = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + 8 * 3_600_000).description
        return String(shifted.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? text
    }
}

import CaseDomain
import Casework
import Foundation
import Hummingbird
import Projections

/// The case page: its state, the forms its state allows the signed-in centre, its
/// documents, investigations and cross-node timeline, in the staff's language.
extension StaffPages {
    func casePage(_ caseID: String, _ request: Request, _ context: NodeRequestContext, error: Problem?) async throws -> Response {
        let staff = try context.requireStaff()
        let language = PageSession.language(of: request)
        let csrf = context.sessionToken.map(PageSession.csrf(for:)) ?? ""
        let view: CaseView
        let timeline: [TimelineEntry]
        do {
            (view, timeline) = try await views.caseWithTimeline(caseID, for: staff)
        } catch {
            guard let problem = Problem(refusal: error) else { throw error }
            return HTML.page(language.text(.caseLabel), language: language, signedIn: signedIn(staff), csrf: csrf,
                             body: "<p class=\"error\">\(HTML.escape(problem.detail))</p>", status: problem.status)
        }
        var body = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0.detail))</p>" } ?? ""
        let rows: [(Language.Label, String?)] = [
            (.phase, language.phase(view.phase.rawValue)), (.number, view.number), (.applicant, view.applicant.map { "\($0.name.map(PersonalData.maskName) ?? "—") \($0.idNumber ?? "") (\(view.personalData.rawValue))" }),
            (.intake, view.intakeCentre.map(centreNames.text)), (.owner, view.owner.map(centreNames.text)),
            (.jurisdiction, view.jurisdictionCentre.map(centreNames.text)),
            (.adverseParty, view.matter?.adverseParty.map { "\($0.name) \($0.id)" }),
            (.lawyer, view.lawyer), (.urgent, view.urgent ? "✓" : nil), (.expectedVersion, "\(view.version)"),
        ]
        body += "<dl class=\"state\">" + rows.compactMap { label, value in
            value.map { "<dt>\(language.text(label))</dt><dd data-field=\"\(label)\">\(HTML.escape($0))</dd>" }
        }.joined() + "</dl>" + Self.letterLinks(caseID: caseID, timeline: timeline, language: language)

        // The check, for the centres it is for; `nil` findings: it cannot run now.
        var checked: (shown: Bool, findings: [ConflictChecks.Finding]?) = (false, nil)
        do {
            let (record, found) = try await workflow.conflicts.findings(of: caseID)
            checked = (record.map { ConflictGate.mayRead($0, staff) } ?? false, found)
        } catch is ProjectionBehind {
            checked.shown = staff.centre == view.owner
        } catch is CaseViewParked {
            checked.shown = staff.centre == view.owner
        }
        if checked.shown { body += checksSection(checked.findings, language: language) }
        let allowed = try await workflow.allowedCommands(on: caseID, by: staff)
        body += "<h2>\(language.text(.actions))</h2>"
            + forms(view, allowed: allowed, caseID: caseID, csrf: csrf, language: language, conflicted: checked.findings?.isEmpty != true,
                    roster: allowed.contains("assign-lawyer") ? try await roster.page(of: staff.centre).lawyers : [])

        let documents = timeline.flatMap { entry -> [JSONValue] in
            if case .array(let items)? = entry.body["documents"] { return items }
            return []
        }
        body += "<h2>\(language.text(.documents))</h2><table><thead><tr><th>\(language.text(.name))</th><th>\(language.text(.mediaType))</th>"
            + "<th>\(language.text(.fingerprint))</th></tr></thead><tbody>"
        for document in documents {
            body += "<tr><td>\(HTML.escape(document["name"]?.stringValue ?? ""))</td><td>\(HTML.escape(document["mediaType"]?.stringValue ?? ""))</td>"
                + "<td class=\"fingerprint\">\(HTML.escape(document["sha256"]?.stringValue ?? ""))</td></tr>"
        }
        body += "</tbody></table>"

        if !view.investigations.isEmpty {
            body += "<h2>\(language.text(.investigations))</h2>"
            for investigation in view.investigations {
                let allowed = try await workflow.allowedInvestigationCommands(on: investigation.investigationId, by: staff)
                body += "<h3 data-phase=\"\(HTML.escape(investigation.phase.rawValue))\">\(centreNames.html(investigation.toCentre)): "
                    + "\(HTML.escape(language.phase(investigation.phase.rawValue))) \(HTML.escape(investigation.number ?? ""))</h3>"
                let due = investigation.reportDueAt.map { "<dt>\(language.text(.due))</dt><dd class=\"report-due\">\(Self.local($0))</dd>" } ?? ""
                let asked = investigation.pendingExtensionDays.map {
                    "<dt>\(language.text(.extensionPending))</dt><dd class=\"extension-pending\">\($0)</dd>"
                } ?? ""
                body += (due + asked).isEmpty ? "" : "<dl>\(due)\(asked)</dl>"
                body += investigationForms(investigation, allowed: allowed, caseID: caseID, csrf: csrf, language: language)
            }
        }

        body += deliveriesSection(view.deliveries, language: language)
        body += "<h2>\(language.text(.timeline))</h2><table class=\"timeline\"><thead><tr><th>#</th><th>\(language.text(.time))</th>"
            + "<th>\(language.text(.node))</th><th>\(language.text(.centre))</th><th>\(language.text(.staff))</th><th>\(language.text(.event))</th></tr></thead><tbody>"
        for entry in timeline {
            body += "<tr><td>\(entry.position)</td><td>\(Self.local(entry.recordedAt))</td><td>\(HTML.escape(entry.node.rawValue))</td>"
                + Self.actorCells(entry, centreNames: centreNames, language: language)
                + "<td data-type=\"\(HTML.escape(entry.type))\">\(HTML.escape(language.eventType(entry.type)))</td></tr>"
        }
        body += "</tbody></table>" + (try await accessSection(caseID, language: language))
        return HTML.page("\(language.text(.caseLabel)) \(view.number ?? String(caseID.prefix(13)))", language: language,
                         signedIn: signedIn(staff), csrf: csrf, body: body, status: error?.status ?? .ok)
    }

    /// The centre and staff cells of a timeline row. What the record's writing node recorded
    /// as the system on another centre's request (a cancel, an extension's decision) names
    /// that centre and staff member, as the event's body does.
    static func actorCells(_ entry: TimelineEntry, centreNames: CentreNames, language: Language) -> String {
        guard entry.centre == nil, let asker = entry.body["centre"]?.stringValue.flatMap(CentreID.init(rawValue:)),
              let staff = entry.body["staff"]?.stringValue else {
            return "<td>\(centreNames.html(entry.centre))</td><td>\(HTML.escape(entry.staff))</td>"
        }
        let recorded = language == .zh ? "（由 \(entry.node) 节点代为记录）" : " (recorded by \(entry.node))"
        return "<td>\(centreNames.html(asker))</td><td>\(HTML.escape(staff))\(HTML.escape(recorded))</td>"
    }

    /// The forms for what `staff`'s centre may do now (`allowed`, from a dry run of the
    /// domain); the workflow decides again when a form is sent. With the conflict check's
    /// findings, or no check possible now (`conflicted`), accepting and deciding ask why the
    /// centre goes ahead.
    private func forms(_ view: CaseView, allowed: Set<String>, caseID: String, csrf: String, language: Language, conflicted: Bool,
                       roster: [RosterRoutes.Page.Entry]) -> String {
        let active = roster.filter(\.active)
        let lawyerFields = (active.isEmpty
            ? "<label>\(language.text(.lawyer)) <input name=\"lawyer\" required></label><label>\(language.text(.firm)) <input name=\"firm\" required></label>"
            : "<label>\(language.text(.lawyer)) <select name=\"lawyerId\">" + active.map { entry in
                "<option value=\"\(HTML.escape(entry.lawyerId))\">\(HTML.escape(entry.name)) · \(HTML.escape(entry.firm)) · "
                    + "\(HTML.escape(entry.practiceAreas.joined(separator: "、"))) (\(language.text(.openCases)) \(entry.openCases))</option>"
            }.joined() + "</select></label>")
            + "<label><input type=\"checkbox\" name=\"chosenByApplicant\"> \(language.text(.chosenByApplicant))</label>"
        let hidden = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\"><input type=\"hidden\" name=\"expectedVersion\" value=\"\(view.version)\">"
        let action = "/cases/\(HTML.escape(caseID))"
        func form(id: String, target: String, _ title: Language.Label, _ fields: String) -> String {
            "<form method=\"post\" action=\"\(target)\" id=\"\(id)\"><fieldset><legend>\(language.text(title))</legend>\(hidden)"
                + "\(fields)<button>\(language.text(title))</button></fieldset></form>"
        }
        func form(_ command: CaseCommand.Kind, _ title: Language.Label, _ fields: String = "") -> String? {
            guard allowed.contains(command.rawValue) else { return nil }
            assert(Self.formCommands.contains(command), "the case page has a form for \(command), which StaffPages.formCommands lacks")
            return form(id: command.rawValue, target: "/" + command.route.replacingOccurrences(of: "{id}", with: HTML.escape(caseID)), title, fields)
        }
        let reason = "<label>\(language.text(.reason)) <input name=\"reason\" required></label>"
        let conflictReason = conflicted ? "<label>\(language.text(.conflictReason)) <input name=\"conflictReason\" required></label>" : ""
        let codeOptions = TransferReturnCode.allCases.map { "<option value=\"\($0.rawValue)\">\(HTML.escape(language.returnCode($0.rawValue)))</option>" }.joined()
        let centreOptions = centreNames.centres.map { centre in
            "<option value=\"\(HTML.escape(centre.rawValue))\"\(centre == view.jurisdictionCentre ? " selected" : "")>\(HTML.escape(centreNames.text(centre)))</option>"
        }.joined()
        let forms = [
            allowed.contains(CaseCommand.Kind.supplyMaterials.rawValue) ? Self.materialsForm(action: action, csrf: csrf, version: view.version, language: language) : nil,
            form(.assess, .assess, "<label><input type=\"checkbox\" name=\"eligible\" checked> \(language.text(.eligible))</label>" + reason),
            form(.requestTransfer, .requestTransfer, "<label>\(language.text(.centre)) <select name=\"toCentre\">\(centreOptions)</select></label>" + reason),
            form(.acceptTransfer, .acceptTransfer, conflictReason),
            form(.returnTransfer, .returnTransfer, "<label>\(language.text(.reasonCode)) <select name=\"reasonCode\">\(codeOptions)</select></label>" + reason),
            form(.cancelTransfer, .cancelTransfer, reason),
            form(.decide, .decide, "<label><input type=\"checkbox\" name=\"granted\" checked> \(language.text(.granted))</label>" + reason + conflictReason),
            form(.assignLawyer, .lawyer, lawyerFields),
            form(.collectOriginals, .collectOriginals),
            form(.close, .close, "<label>\(language.text(.outcome)) <input name=\"outcome\" required></label>"
                 + "<label>\(language.text(.recovered)) <input name=\"recoveredAmount\" type=\"number\" min=\"0\" value=\"0\"></label>"),
            form(.archive, .archive),
            // A request of an investigation is a command on a new record, not on the case.
            !allowed.contains("request-investigation") ? nil : form(id: "request-investigation", target: "\(action)/investigations", .requestInvestigation,
                 "<label>\(language.text(.centre)) <select name=\"toCentre\">\(centreOptions)</select></label>"
                 + "<label>\(language.text(.questions)) <input name=\"questions\" required></label>"
                 + "<label>\(language.text(.dueDays)) <input name=\"dueDays\" type=\"number\" min=\"1\" max=\"60\" value=\"10\"></label>"),
        ].compactMap { $0 }
        return forms.isEmpty ? "<p>—</p>" : forms.joined()
    }

    /// The forms for what `staff`'s centre may do on one investigation request now.
    private func investigationForms(_ investigation: CaseView.InvestigationSummary, allowed: Set<String>, caseID: String, csrf: String,
                                    language: Language) -> String {
        let hidden = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
            + "<input type=\"hidden\" name=\"expectedVersion\" value=\"\(investigation.version)\">"
            + "<input type=\"hidden\" name=\"caseId\" value=\"\(HTML.escape(caseID))\">"
        let action = "/investigations/\(HTML.escape(investigation.investigationId))"
        func form(_ command: String, _ path: String, _ title: Language.Label, _ fields: String = "") -> String? {
            guard allowed.contains(command) else { return nil }
            return "<form method=\"post\" action=\"\(action)/\(path)\" id=\"\(command)\"><fieldset><legend>\(language.text(title))</legend>\(hidden)"
                + "\(fields)<button>\(language.text(title))</button></fieldset></form>"
        }
        return [
            form("accept-investigation", "accept", .acceptInvestigation),
            form("decline-investigation", "decline", .declineInvestigation, "<label>\(language.text(.reason)) <input name=\"reason\" required></label>"),
            form("assign-investigation-lawyer", "lawyer", .lawyer, "<label>\(language.text(.lawyer)) <input name=\"lawyer\" required></label>"
                 + "<label>\(language.text(.firm)) <input name=\"firm\" required></label>"),
            form("report-findings", "report", .reportFindings, "<label>\(language.text(.findings)) <textarea name=\"findings\" required></textarea></label>"),
            form("acknowledge-findings", "acknowledge", .acknowledgeFindings),
            form("request-extension", "extension", .requestExtension,
                 "<label>\(language.text(.days)) <input name=\"days\" type=\"number\" min=\"1\" max=\"\(Investigation.extensionDays)\" required></label>"
                 + "<label>\(language.text(.reason)) <input name=\"reason\" required></label>"),
            form("decide-extension", "extension/decision", .decideExtension,
                 "<label><input type=\"checkbox\" name=\"granted\" value=\"true\" checked> \(language.text(.grantExtension))</label>"
                 + "<label>\(language.text(.reason)) <input name=\"reason\" required></label>"),
        ].compactMap { $0 }.joined()
    }

    func act(_ request: Request, _ context: NodeRequestContext, _ expectedVersion: Int64, _ command: CaseCommand,
             conflictReason: String? = nil) async throws -> Response {
        let caseID = try context.parameters.require("id")
        do {
            _ = try await workflow.act(on: caseID, expectedVersion: expectedVersion, command, by: try context.requireStaff(),
                                       conflictReason: conflictReason)
            return HTML.redirect("/cases/\(Self.percentEncoded(caseID))")
        } catch {
            guard let problem = Problem(refusal: error) else { throw error }
            return try await casePage(caseID, request, context, error: problem)
        }
    }
}

import CaseDomain
import Casework
import Hummingbird

/// The standard letters of a case, print-ready (A4), each rendered from the event it
/// records: 补充材料通知书, 给予/不予法律援助决定书, 指派通知书, 转交函, 协作函 and 送达回证 (the
/// receipt, 受理凭证, is ``receiptPage(_:_:_:csrf:)``). Each carries the case's or the
/// request's number and the event's hash as its verification code, which
/// `GET /verify/{hash}` on any node confirms.
extension StaffPages {
    /// A letter kind: its path segment, the event it is rendered from, its title.
    enum Letter: String, CaseIterable, Sendable {
        case materials, decision, assignment, transfer, investigation, delivery

        var eventTypes: Set<String> {
            switch self {
            case .materials: ["ApplicationAssessed"]
            case .decision: ["AidDecided"]
            case .assignment: ["LawyerAssigned"]
            case .transfer: ["TransferRequested"]
            case .investigation: ["InvestigationRequested"]
            // The latest receipt event: the opening when there is one, else the delivery.
            case .delivery: ["DeliveryRecorded", "DeliveryOpened"]
            }
        }

        /// Whether `entry` is an event this letter is written from.
        func isSource(_ entry: TimelineEntry) -> Bool {
            guard eventTypes.contains(entry.type) else { return false }
            if self == .materials, case .array(let missing)? = entry.body["missing"] { return !missing.isEmpty }
            return self != .materials
        }

        func title(_ entry: TimelineEntry) -> String {
            guard self == .decision else { return zhTitle }
            return entry.body["granted"] == .bool(true) ? "给予法律援助决定书" : "不予法律援助决定书"
        }
    }

    func addLetterPages(to pages: RouterGroup<NodeRequestContext>) {
        pages.get("cases/{id}/letters/{kind}") { request, context in
            guard let letter = Letter(rawValue: try context.parameters.require("kind")) else {
                throw Problem(.notFound, "no such letter: one of \(Letter.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try await letterPage(letter, try context.parameters.require("id"), PageSession.language(of: request), try context.requireStaff())
        }
    }

    /// The letters the case's events allow, as links for its page.
    static func letterLinks(caseID: String, timeline: [TimelineEntry], language: Language) -> String {
        let links = Letter.allCases.compactMap { letter -> String? in
            guard let entry = timeline.last(where: letter.isSource) else { return nil }
            return "<a class=\"letter\" href=\"/cases/\(HTML.escape(caseID))/letters/\(letter.rawValue)\">\(HTML.escape(letter.title(entry)))</a>"
        }
        return links.isEmpty ? "" : "<p class=\"letters\">" + links.joined(separator: " · ") + "</p>"
    }

    /// The latest letter of `letter`'s kind of the case, rendered from its event.
    func letterPage(_ letter: Letter, _ caseID: String, _ language: Language, _ staff: StaffMember) async throws -> Response {
        let (view, timeline) = try await views.caseWithTimeline(caseID, for: staff, purpose: "letter-\(letter.rawValue)")
        guard let entry = timeline.last(where: letter.isSource) else {
            throw Problem(.notFound, "case \(caseID) has no event to write its \(letter.rawValue) letter from yet")
        }
        let text = { (key: String) in entry.body[key]?.stringValue ?? "" }
        let names = { (key: String) in CentreID(rawValue: text(key)).map(centreNames.text) ?? "" }
        var number = view.number ?? view.caseId
        var rows: [(String, String)] = [("申请人", view.applicant?.name ?? "—")]
        switch letter {
        case .materials:
            let missing = entry.body["missing"]?.arrayValue?.compactMap(\.stringValue) ?? []
            rows += [("需补充的材料", missing.joined(separator: "；")), ("补充期限", entry.body["materialsDueAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)).map(Self.local) ?? "—"),
                     ("说明", text("reason"))]
        case .decision:
            rows += [("决定", entry.body["granted"] == .bool(true) ? "给予法律援助" : "不予法律援助"), ("理由", text("reason"))]
        case .assignment:
            rows += [("承办律师", text("lawyer")), ("律师事务所", text("firm"))]
        case .transfer:
            rows += [("转出机构", names("fromCentre")), ("接收机构", names("toCentre")), ("转交理由", text("reason"))]
        case .investigation:
            let request = view.investigations.first { StreamID.stream(.investigation, id: $0.investigationId) == entry.streamId }
            number = request?.number ?? number
            rows += [("协作机构", names("toCentre")), ("调查事项", entry.body["questions"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "；") ?? ""),
                     ("报告期限", entry.body["reportDueAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)).map(Self.local) ?? "—")]
        case .delivery:
            let (receiptRows, requestNumber) = deliveryRows(entry, view)
            rows += receiptRows
            number = requestNumber ?? number
        }
        // A receipt is the recipient's, recorded by its node (as the system when it arrived).
        let issuer = letter == .delivery ? entry.body["request"]?["centre"]?.stringValue.flatMap(CentreID.init(rawValue:)) : entry.centre
        rows += [("出具机构", issuer.map(centreNames.text) ?? "—"), ("日期", Self.local(entry.recordedAt))]
        let title = letter.title(entry)
        let body = "<h2 class=\"letter-title\">\(HTML.escape(title))</h2><p>编号 <span data-field=\"number\">\(HTML.escape(number))</span></p>"
            + "<dl class=\"receipt\">" + rows.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
            + "<p>核验码 (Verification code): <span class=\"fingerprint\" data-field=\"verification\">\(HTML.escape(entry.hash))</span>"
            + " — 任一节点的 /verify/ 加核验码可核对本函件</p>"
            + "<p><a href=\"/cases/\(HTML.escape(view.caseId))\">\(language == .zh ? "返回案件" : "Back to the case")</a></p>"
        return HTML.page(title, language: language, signedIn: signedIn(staff), csrf: nil, body: body)
    }

    /// What a 送达回证 says: the letter delivered, to whom and by whom, when it arrived and
    /// who first opened it; the number of the investigation request it delivered.
    private func deliveryRows(_ entry: TimelineEntry, _ view: CaseView) -> ([(String, String)], String?) {
        let request = entry.body["request"]
        let version: Int64? = if case .integer(let number)? = request?["requestVersion"] { number } else { nil }
        let delivery = view.deliveries.first { $0.requestVersion == version && $0.kind.rawValue == request?["kind"]?.stringValue
            && ($0.kind == .transfer || request?["record"]?.stringValue == $0.investigationId.map { StreamID.stream(.investigation, id: $0) }) }
        let name = { (centre: String?) in centre.flatMap(CentreID.init(rawValue:)).map(centreNames.text) ?? "—" }
        let isTransfer = delivery?.kind == .transfer
        let opened = delivery?.openedAt.map { "\(Self.local($0))（\(delivery?.openedBy ?? "")）" }
            ?? (delivery?.answered == true ? "未经查阅记录即已办理" : "尚未查阅")
        let rows = [("送达文书", isTransfer ? "法律援助申请转交函" : "异地协作调查函"), ("送达机构", name(delivery?.fromCentre)),
                    ("受送达机构", name(delivery?.toCentre)), ("发出时间", delivery.map { Self.local($0.requestedAt) } ?? "—"),
                    ("送达时间", delivery?.deliveredAt.map(Self.local) ?? "—"), ("首次查阅（签收）", opened)]
        let number = isTransfer ? nil : view.investigations.first { $0.investigationId == delivery?.investigationId }?.number
        return (rows, number)
    }
}

extension StaffPages.Letter {
    /// The letter's title where no event tells its variant.
    var zhTitle: String {
        switch self {
        case .materials: "补充材料通知书"
        case .decision: "法律援助决定书"
        case .assignment: "指派通知书"
        case .transfer: "法律援助申请转交函"
        case .investigation: "异地协作调查函"
        case .delivery: "送达回证"
        }
    }
}

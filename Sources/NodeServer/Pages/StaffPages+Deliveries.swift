import CaseDomain
import Casework

/// The case page's deliveries (送达情况): each transfer and investigation request sent to a
/// centre, when it was sent, delivered and first opened, with the receipt's verification
/// code; the 送达回证 prints the latest.
extension StaffPages {
    func deliveriesSection(_ deliveries: [DeliveryView], language: Language) -> String {
        guard !deliveries.isEmpty else { return "" }
        let notYet = "<span class=\"not-yet\">\(language.text(.notYet))</span>"
        var section = "<h2>\(language.text(.deliveries))</h2><table class=\"deliveries\"><thead><tr><th>\(language.text(.letter))</th>"
            + "<th>\(language.text(.sentTo))</th><th>\(language.text(.sent))</th><th>\(language.text(.delivered))</th>"
            + "<th>\(language.text(.firstOpened))</th><th>\(language.text(.verificationCode))</th></tr></thead><tbody>"
        for delivery in deliveries {
            let letter = delivery.kind == .transfer ? Letter.transfer : Letter.investigation
            let opened = delivery.openedAt.map { "\(Self.local($0)) \(HTML.escape(delivery.openedBy ?? ""))" } ?? notYet
            let code = delivery.openedCode ?? delivery.deliveredCode
            section += "<tr data-kind=\"\(delivery.kind.rawValue)\"><td>\(HTML.escape(language == .zh ? letter.zhTitle : letter.rawValue))</td>"
                + "<td>\(centreNames.html(CentreID(rawValue: delivery.toCentre)))</td><td>\(Self.local(delivery.requestedAt))</td>"
                + "<td class=\"delivered-at\">\(delivery.deliveredAt.map(Self.local) ?? notYet)</td><td class=\"opened-at\">\(opened)</td>"
                + "<td class=\"fingerprint\">\(code.map { HTML.escape($0) } ?? "")</td></tr>"
        }
        return section + "</tbody></table>"
    }
}

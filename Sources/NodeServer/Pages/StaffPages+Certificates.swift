import CaseDomain
import Casework
import Hummingbird

/// The certificate check page: a form that posts the holder's ID number and name (never in
/// a URL), answered with what the register says of the certificates it finds — status,
/// issuing city, validity — as the API's lookup answers, and recorded alike.
extension StaffPages {
    struct CertificateLookupForm: Decodable { var csrf: String?; var idNumber: String; var name: String }

    func addCertificatePages(to pages: RouterGroup<NodeRequestContext>) {
        pages.get("certificates") { request, context in
            try certificatePage(request, context, found: nil)
        }
        pages.post("certificates") { request, context in
            let form = try await checkedForm(CertificateLookupForm.self, request, context, csrf: \.csrf)
            do {
                let found = try await views.lookUpCertificates(idNumber: form.idNumber, name: form.name, matching: workflow.matching,
                                                               for: try context.requireStaff())
                return try certificatePage(request, context, found: found)
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return try certificatePage(request, context, found: nil, error: problem)
            }
        }
    }

    /// The form, and below it what a lookup found (`nil`: none was made).
    private func certificatePage(_ request: Request, _ context: NodeRequestContext, found: [CertificateMatch]?,
                                 error: Problem? = nil) throws -> Response {
        let staff = try context.requireStaff()
        let language = PageSession.language(of: request)
        let csrf = context.sessionToken.map(PageSession.csrf(for:)) ?? ""
        var body = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0.detail))</p>" } ?? ""
        body += """
            <form method="post" action="/certificates" id="certificate-lookup"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
            <label>\(language.text(.idNumber)) <input name="idNumber" required></label>
            <label>\(language.text(.holderName)) <input name="name" required></label>
            <button>\(language.text(.check))</button></form>
            """
        if let found, found.isEmpty {
            body += "<p>\(language.text(.noCertificates))</p>"
        } else if let found {
            body += "<table><thead><tr><th>\(language.text(.number))</th><th>\(language.text(.status))</th><th>\(language.text(.issuingCity))</th>"
                + "<th>\(language.text(.validUntil))</th></tr></thead><tbody>"
            for certificate in found {
                body += "<tr><td>\(HTML.escape(certificate.certificateId))</td><td class=\"status\">\(HTML.escape(certificate.status.rawValue))</td>"
                    + "<td>\(HTML.escape(certificate.issuingNode.rawValue))</td><td>\(Self.local(certificate.validUntil))</td></tr>"
            }
            body += "</tbody></table>"
        }
        return HTML.page(language.text(.certificates), language: language, signedIn: signedIn(staff), csrf: csrf,
                         body: body, status: error?.status ?? .ok)
    }
}

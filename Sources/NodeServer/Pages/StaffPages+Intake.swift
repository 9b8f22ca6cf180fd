import CaseDomain
import Casework
import Crypto
import Federation
import Foundation
import Hummingbird

/// Intake at the counter: the new-application form (`/intake`), its scans uploaded in the
/// form (the server computes each SHA-256, and stores the bytes once the application that
/// names them is recorded), and the printed receipt (申请材料接收凭证, `/cases/{id}/receipt`) with the
/// verification code `GET /verify/{hash}` confirms. The form submits through the same
/// command and checks as `POST /v1/cases`.
extension StaffPages {
    func addIntakePages(to pages: RouterGroup<NodeRequestContext>) {
        pages.get("intake") { request, context in
            intakePage(PageSession.language(of: request), try context.requireStaff(), csrf: csrf(context), error: nil)
        }
        pages.post("intake") { request, context in
            let staff = try context.requireStaff()
            let language = PageSession.language(of: request)
            let form = try await MultipartForm.read(request, maximumFileBytes: DocumentRoutes.maximumScanSize)
            guard let token = context.sessionToken, PageSession.isValidCSRF(form.field("csrf"), for: token) else {
                throw Problem(.forbidden, "the form's CSRF token is missing or wrong: reload the page and send it again")
            }
            do {
                // Fingerprinted first and stored only once the application is recorded, so a
                // refused form leaves nothing behind, neither an event nor a scan.
                let scans = try Self.fingerprinted(form.files, by: staff)
                let submission = try Self.submission(form, documents: scans.map(\.document), directory: directory)
                let result = try await workflow.submit(try submission.command(), by: staff)
                try await store(scans)
                return HTML.redirect("/cases/\(Self.percentEncoded(result.id))/receipt")
            } catch {
                guard let problem = Problem(refusal: error) else { throw error }
                return intakePage(language, staff, csrf: csrf(context), error: problem)
            }
        }
        pages.get("cases/{id}/receipt") { request, context in
            try await receiptPage(try context.parameters.require("id"), PageSession.language(of: request), try context.requireStaff(), csrf: csrf(context))
        }
    }

    private func csrf(_ context: NodeRequestContext) -> String { context.sessionToken.map(PageSession.csrf(for:)) ?? "" }

    /// A scan of the form with the document the application lists for it.
    struct Scan: Sendable {
        var document: Document
        var content: ByteBuffer
    }

    /// Each scan checked (type, not empty, a name of at most 400 characters) and fingerprinted.
    static func fingerprinted(_ files: [MultipartForm.File], by staff: StaffMember) throws(Problem) -> [Scan] {
        guard files.isEmpty || staff.role == .staff else { throw Problem(.forbidden, "only centre staff upload scans") }
        var scans: [Scan] = []
        for (index, file) in files.enumerated() {
            guard let type = file.contentType.flatMap(DocumentStore.mediaType) else {
                throw Problem(.unsupportedMediaType, "scan \(index + 1) (\(file.filename.prefix(100))) is not a PDF, JPEG or PNG")
            }
            guard file.content.readableBytes > 0 else { throw Problem.invalid("scans[\(index)]", "the scan is empty") }
            guard file.filename.count <= 400 else { throw Problem.invalid("scans[\(index)].name", "a file name of at most 400 characters") }
            let digest = file.content.withUnsafeReadableBytes { SHA256.hash(data: $0) }
            let sha256 = digest.map { String(format: "%02x", $0) }.joined()
            let name = file.filename.isEmpty ? "scan-\(index + 1)" : file.filename
            scans.append(Scan(document: Document(name: name, mediaType: type.rawValue, size: Int64(file.content.readableBytes), sha256: sha256),
                              content: file.content))
        }
        return scans
    }

    /// Stores the scans of a recorded application or supply of materials.
    func store(_ scans: [Scan]) async throws {
        for (index, scan) in scans.enumerated() {
            do {
                _ = try await self.scans.store(sha256: scan.document.sha256, mediaType: scan.document.mediaType, content: scan.content)
            } catch let error as DocumentStore.StoreError {
                throw Problem.invalid("scans[\(index)]", error.description)
            }
        }
    }

    /// The API's submission, from the form's fields; without a jurisdiction centre, the one
    /// the directory names for the venue.
    static func submission(_ form: MultipartForm, documents: [Document], directory: JurisdictionDirectory) throws(Problem) -> CaseRoutes.Submission {
        func required(_ name: String) throws(Problem) -> String {
            guard let value = form.field(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { throw Problem.invalid(name, "is required") }
            return value
        }
        func checked(_ name: String) -> Bool { form.field(name) == "on" }
        guard let homeCity = NodeID(rawValue: try required("homeCity")) else { throw Problem.invalid("homeCity", "a city id such as rizhao") }
        let venue = try required("venue")
        let chosen = form.field("jurisdictionCentre")?.trimmingCharacters(in: .whitespaces) ?? ""
        // Taken without asking only for a venue the directory names exactly.
        let found = directory.lookUp(venue)
        guard let jurisdiction = chosen.isEmpty ? (found.isExact ? found.suggestedCentre : nil) : CentreID(rawValue: chosen) else {
            throw Problem.invalid("jurisdictionCentre", chosen.isEmpty
                ? "the directory does not name the venue '\(venue.prefix(200))' exactly: choose the jurisdiction centre"
                : "a centre id such as qingdao-licang")
        }
        guard let basis = CaseRoutes.Submission.HardshipInput.Basis(rawValue: try required("hardshipBasis")) else {
            throw Problem.invalid("hardshipBasis", "one of certificate, exempt, promise")
        }
        let adverseName = form.field("adverseName")?.trimmingCharacters(in: .whitespaces) ?? ""
        let adverseID = form.field("adverseId")?.trimmingCharacters(in: .whitespaces) ?? ""
        let adverse = adverseName.isEmpty && adverseID.isEmpty ? nil : AdverseParty(name: adverseName, id: adverseID.uppercased())
        let groups = (form.field("groups") ?? "").split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " }).map(String.init)
        return CaseRoutes.Submission(
            applicant: .init(name: try required("name"), idNumber: try required("idNumber"), phone: try required("phone"), homeCity: homeCity, groups: groups),
            matter: Matter(litigation: checked("litigation"), cause: try required("cause"), summary: form.field("summary") ?? "",
                           venue: venue, jurisdictionCentre: jurisdiction, adverseParty: adverse),
            urgent: checked("urgent"),
            hardship: .init(basis: basis, certificateId: form.field("certificateId"), group: form.field("group"), statement: form.field("statement")),
            documents: documents,
            consent: Consent(shareWithJurisdiction: checked("shareWithJurisdiction"), checksByOtherCities: checked("checksByOtherCities")))
    }
}

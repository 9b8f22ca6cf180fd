import CaseDomain
import Casework
import Hummingbird

/// `/v1/certificates`: issuing and revoking hardship certificates at this node, and the
/// register lookups other cities' centres rely on for recognition. A lookup is a POST of
/// the holder's ID number and name: an ID number is never in a URL.
struct CertificateRoutes {
    let workflow: Workflow
    let views: Views
    let policies: [NodeID: CityPolicy]

    struct Issue: Decodable {
        var holderName: String
        var idNumber: String
        var basis: String
        var validUntil: Timestamp
        /// Defaults to the issuing city's hardship threshold.
        var standard: String?
    }
    struct Revocation: Decodable { var expectedVersion: Int64; var reason: String }
    struct Lookup: Decodable { var idNumber: String; var name: String }

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.post("certificates") { request, context in
            let input = try await request.decodeJSON(as: Issue.self, context: context)
            let staff = try context.requireStaff()
            try CertificateInput.requireIDNumber(input.idNumber)
            let standard = input.standard ?? policies[staff.centre.node].map { "\(staff.centre.node) hardship threshold \($0.hardshipThreshold) fen/month" } ?? ""
            let result = try await workflow.issueCertificate(
                .issue(holderName: input.holderName, idNumber: input.idNumber, basis: input.basis, standard: standard, validUntil: input.validUntil),
                by: staff)
            return JSONResponse(.created, result.json(idKey: "certificateId"))
        }
        group.post("certificates/{id}/revoke") { request, context in
            let input = try await request.decodeJSON(as: Revocation.self, context: context)
            let result = try await workflow.revokeCertificate(try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                                              reason: input.reason, by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "certificateId"))
        }
        group.get("certificates/{id}") { _, context in
            JSONResponse(try await views.certificateView(try context.parameters.require("id"), for: try context.requireStaff()))
        }
        group.post("certificates/lookup") { request, context in
            let input = try await request.decodeJSON(as: Lookup.self, context: context)
            let found = try await views.lookUpCertificates(idNumber: input.idNumber, name: input.name, matching: workflow.matching,
                                                           for: try context.requireStaff())
            return JSONResponse(["items": try CanonicalJSON.jsonValue(of: found)])
        }
    }
}

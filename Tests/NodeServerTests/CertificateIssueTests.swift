import CaseDomain
import Casework
import NodeServer
import Testing

/// A certificate is issued only to an ID number the register can be searched by
/// (`POST /v1/certificates/lookup` takes 17 digits and a digit or X), as the spec says.
/// Found by schemathesis: any 18 bytes were accepted, so a certificate could be issued that
/// no lookup would ever find.
@Suite("Issuing certificates")
struct CertificateIssueTests {
    typealias H = NodeHarness

    @Test func aCertificateForAnIDNumberNoLookupTakesIsRefusedNamingIt() async throws {
        try await H.run { node in
            for idNumber in ["37112119800101123a", "abcdefghijklmnopqr", "37112119800101123x", "３７１１２１１９８００１"] {
                try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/certificates", as: H.wulian,
                                               ["holderName": "张某", "idNumber": .string(idNumber), "basis": "低保", "validUntil": "2027-06-01T00:00:00Z"],
                                               field: "idNumber")
            }
            try await node.expect(.created, .post, "/v1/certificates", as: H.wulian,
                                  ["holderName": "张某", "idNumber": "37112119800101123X", "basis": "低保", "validUntil": "2027-06-01T00:00:00Z"])
        }
    }
}

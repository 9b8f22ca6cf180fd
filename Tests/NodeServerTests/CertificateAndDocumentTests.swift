import CaseDomain
import Casework
import Crypto
import Hummingbird
import NodeServer
import PostgresNIO
import Testing

/// Hardship certificates issued in one city are recognised in another, by the register
/// entry; scans are stored by fingerprint and read by the records that refer to them.
@Suite("Certificates and documents")
struct CertificateAndDocumentTests {
    typealias H = NodeHarness

    static let certificate: JSONValue = ["holderName": "张某", "idNumber": "371121198001011234", "basis": "月收入低于威海低保标准",
                                         "validUntil": "2027-06-30T00:00:00.000Z"]

    /// The holder's ID number and name, as a lookup sends them.
    static let holder: JSONValue = ["idNumber": "371121198001011234", "name": "张某"]
    /// What a certificate says of its holder: only the issuing city's staff read it.
    static let holderFields = ["holderName", "idNumber", "basis", "revocationReason"]

    @Test func aCertificateIssuedInWeihaiIsRecognisedInRizhaoUntilRevoked() async throws {
        try await H.run { node in
            let issued = try await node.expect(.created, .post, "/v1/certificates", as: H.huancui, Self.certificate)
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            let register = try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.wulian)
            #expect(register["status"] == "valid" && register["issuingNode"] == "qingdao" && register["issuingCentre"] == "weihai-huancui")
            #expect(Self.holderFields.allSatisfy { (register[$0] ?? .null) == .null }, "not Rizhao's to see: \(register)")
            let issuing = try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.huancui)
            #expect(issuing["holderName"] == "张某" && issuing["idNumber"] == "3711**********1234" && issuing["basis"] == "月收入低于威海低保标准",
                    "the issuing city's staff see the holder: \(issuing)")
            // No projector runs here: the register's reads bring it up to date themselves.
            let found = try await node.expect(.ok, .post, "/v1/certificates/lookup", as: H.wulian, Self.holder)
            #expect(found["items"]?[0]?["issuingEventHash"] == register["issuingEventHash"] && found["items"]?[0]?["status"] == "valid")
            #expect(found["items"]?[0]?["certificateId"]?.stringValue == certificateID)
            #expect(Self.holderFields.allSatisfy { found["items"]?[0]?[$0] == nil }, "a lookup never answers the holder: \(found)")

            let basis: JSONValue = ["basis": "certificate", "certificateId": .string(certificateID)]
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application(hardship: basis))
            let view = try await node.expect(.ok, .get, "/v1/cases/\(try #require(created["caseId"]?.stringValue))", as: H.wulian)
            #expect(view["recognisedCertificate"]?["certificateId"]?.stringValue == certificateID)
            #expect(view["recognisedCertificate"]?["issuingEventHash"] == register["issuingEventHash"], "the case records the issuing event it relied on")

            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                           H.application(hardship: basis, idNumber: "37112119900101123X"), field: "hardship.certificateId")
            try await RefusalTests.refused(node, .forbidden, "forbidden", .post, "/v1/certificates/\(certificateID)/revoke", as: H.wulian,
                                           ["expectedVersion": 1, "reason": "not ours"])
            try await node.expect(.ok, .post, "/v1/certificates/\(certificateID)/revoke", as: H.huancui, ["expectedVersion": 1, "reason": "收入已超标"])
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                           H.application(hardship: basis), field: "hardship.certificateId")
            let refusal = try await node.call(.post, "/v1/cases", as: H.wulian, H.application(hardship: basis))
            #expect(refusal.json["detail"] == "hardship.certificateId: the certificate was revoked", "the reason is sealed: only Weihai reads it")
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                           H.application(hardship: ["basis": "certificate", "certificateId": "0190f0a0-0000-7000-8000-000000000000"]),
                                           field: "hardship.certificateId")
            #expect(try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.licang)["status"] == "revoked")
            #expect(try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.huancui)["revocationReason"] == "收入已超标")
            let afterRevocation = try await node.expect(.ok, .post, "/v1/certificates/lookup", as: H.wulian, Self.holder)
            #expect(afterRevocation["items"]?[0]?["status"] == "revoked" && afterRevocation["items"]?[0]?["revocationReason"] == nil)
        }
    }

    @Test func scansAreStoredByTheirFingerprintOnly() async throws {
        try await H.run { node in
            let scan = ByteBuffer(string: "%PDF-1.7 申请表")
            let sha256 = SHA256.hash(data: scan.readableBytesView).map { String(format: "%02x", $0) }.joined()
            let token = try await node.token(H.wulian)
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/pdf"]
            #expect(try await node.send(.put, "/v1/documents/\(sha256)", headers: headers, body: scan).status == .created)
            #expect(try await node.send(.put, "/v1/documents/\(sha256)", headers: headers, body: scan).status == .ok, "storing again changes nothing")
            let wrong = try await node.send(.put, "/v1/documents/\(String(repeating: "0", count: 64))", headers: headers, body: scan)
            #expect(wrong.status == .unprocessableContent && wrong.problemType == "validation")
            #expect(try await node.database.count("SELECT count(*)::int FROM documents") == 1)
            // A stored scan never changes: the service may not, and the trigger refuses even the owner.
            for statement in ["UPDATE documents SET media_type = 'text/plain'", "DELETE FROM documents", "TRUNCATE documents"] {
                await #expect(throws: PSQLError.self, "the service role must not run \(statement)") {
                    try await node.database.service.query(PostgresQuery(unsafeSQL: statement))
                }
                let refusal = await #expect(throws: PSQLError.self) { try await node.database.owner.query(PostgresQuery(unsafeSQL: statement)) }
                #expect(refusal?.serverInfo?[.message]?.contains("documents is immutable") == true, "\(String(describing: refusal))")
            }

            headers[.contentType] = nil
            #expect(try await node.send(.get, "/v1/documents/\(sha256)", headers: headers, body: nil).status == .notFound, "no record refers to it yet")
            try await node.expect(.created, .post, "/v1/cases", as: H.wulian, DocumentAccessTests.application(referring: sha256, size: scan.readableBytes))
            let fetched = try await node.client.execute(uri: "/v1/documents/\(sha256)", method: .get, headers: headers) { $0 }
            #expect(fetched.status == .ok && fetched.body == scan && fetched.headers[.contentType] == "application/pdf")
            #expect(try await node.send(.get, "/v1/documents/\(String(repeating: "1", count: 64))", headers: headers, body: nil).status == .notFound)
            #expect(try await node.send(.get, "/v1/documents/\(sha256)", headers: [:], body: nil).status == .unauthorized)
        }
    }
}

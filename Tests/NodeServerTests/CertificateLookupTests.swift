import CaseDomain
import Casework
import EventLog
import NodeServer
import PostgresNIO
import TestSupport
import Testing

/// A certificate lookup is no oracle: it needs the holder's ID number and name, answers a
/// wrong name as it answers a stranger, never answers the holder's details, and is recorded.
@Suite("Looking certificates up")
struct CertificateLookupTests {
    typealias H = NodeHarness

    static let lookup = "/v1/certificates/lookup"

    @Test func theRightIDNumberWithAWrongNameIsAnsweredLikeAnUnknownHolder() async throws {
        try await H.run { node in
            let issued = try await node.expect(.created, .post, "/v1/certificates", as: H.huancui, CertificateAndDocumentTests.certificate)
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            let unknown = try await node.call(.post, Self.lookup, as: H.wulian, ["idNumber": "371121199902021111", "name": "张某"])
            let wrongName = try await node.call(.post, Self.lookup, as: H.wulian, ["idNumber": "371121198001011234", "name": "李某"])
            #expect(unknown.status == .ok && unknown.json == ["items": []], "\(unknown.json)")
            #expect(wrongName.status == unknown.status && wrongName.json == unknown.json, "a wrong name tells nothing: \(wrongName.json)")
            #expect(try await node.database.count("SELECT count(*)::int FROM access_log") == 0, "a lookup that found nothing read nothing")

            let found = try await node.call(.post, Self.lookup, as: H.wulian, ["idNumber": "371121198001011234", "name": "张某"])
            #expect(found.json["items"]?[0]?["certificateId"]?.stringValue == certificateID)
        }
    }

    /// The index is of the normalised ID number and name: surrounding spaces, a lowercase
    /// final x, a name in another Unicode normal form find the same holder.
    @Test func aLookupNormalisesTheIDNumberAndName() async throws {
        try await H.run { node in
            let issued = try await node.expect(.created, .post, "/v1/certificates", as: H.huancui,
                                               ["holderName": "José 张", "idNumber": "37112119800101123X", "basis": "低保", "validUntil": "2027-06-01T00:00:00Z"])
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            let decomposed = "Jose\u{0301} 张"
            let found = try await node.expect(.ok, .post, Self.lookup, as: H.wulian, ["idNumber": " 37112119800101123x ", "name": .string(" \(decomposed)")])
            #expect(found["items"]?[0]?["certificateId"]?.stringValue == certificateID, "\(found)")
        }
    }

    @Test func aLookupThatFoundACertificateAndTheIssuingCitysReadAreInTheAccessLog() async throws {
        try await H.run { node in
            let issued = try await node.expect(.created, .post, "/v1/certificates", as: H.huancui, CertificateAndDocumentTests.certificate)
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            try await node.expect(.ok, .post, Self.lookup, as: H.wulian, CertificateAndDocumentTests.holder)
            try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.wulian)
            try await node.expect(.ok, .get, "/v1/certificates/\(certificateID)", as: H.huancui)
            let rows = try await node.database.superuser.query("""
                SELECT centre, record_kind, record_id, case_id, purpose, fields FROM access_log ORDER BY access_id
                """)
            var entries: [String] = []
            for try await (centre, kind, record, caseID, purpose, fields) in rows.decode((String, String, String, String?, String, [String]).self) {
                #expect(record == certificateID && caseID == nil)
                entries.append("\(centre) \(kind) \(purpose) \(fields.joined(separator: ","))")
            }
            #expect(entries == ["rizhao-wulian certificate certificate-lookup idNumber,name",
                                "weihai-huancui certificate certificate-view idNumber,name,summary"],
                    "the lookup and the issuing city's read; Rizhao's read of the register entry opened nothing")
        }
    }

    /// The register keeps the holder as blind indexes only; the ID number, name and basis
    /// of a new certificate are in no column and only sealed in the event.
    @Test func theRegisterHoldsTheHolderAsBlindIndexesOnly() async throws {
        try await H.run { node in
            try await node.expect(.created, .post, "/v1/certificates", as: H.huancui, CertificateAndDocumentTests.certificate)
            try await node.project()
            #expect(try await node.database.count("""
                SELECT count(*)::int FROM projections.certificates
                 WHERE id_number IS NULL AND holder_name IS NULL AND basis IS NULL
                   AND holder_index ~ '^[0-9a-f]{64}$' AND holder_name_index ~ '^[0-9a-f]{64}$' AND holder_index <> holder_name_index
                """) == 1)
            #expect(try await node.database.count("""
                SELECT count(*)::int FROM events WHERE position(convert_to('371121198001011234', 'UTF8') IN envelope) > 0
                    OR position(convert_to('张某', 'UTF8') IN envelope) > 0
                """) == 0, "the event holds the holder sealed")
        }
    }

    /// A certificate issued before sealing (the fixture log, schema version 1, plain text)
    /// has no index: it is found by its plain ID number and the name, and still recognised.
    @Test func aCertificateIssuedBeforeSealingIsFoundByIDNumberAndNameAndRecognised() async throws {
        try await withTestDatabase { database in
            let fixture = try FixtureLogTests.load()
            let appender = EventAppender(client: database.service, signingKey: TestDatabase.key("rizhao"), keyring: try fixture.keyring)
            _ = try await appender.importEvents(try fixture.signedEvents())
            try await H.run(on: database, clock: NodeClock(.fixed(H.now))) { node in
                let found = try await node.expect(.ok, .post, Self.lookup, as: H.wulian, CertificateAndDocumentTests.holder)
                let certificateID = try #require(found["items"]?[0]?["certificateId"]?.stringValue, "\(found)")
                #expect(found["items"]?[0]?["status"] == "valid")
                #expect(try await node.expect(.ok, .post, Self.lookup, as: H.wulian, ["idNumber": "371121198001011234", "name": "李某"]) == ["items": []])
                #expect(try await node.database.count("SELECT count(*)::int FROM projections.certificates WHERE holder_index IS NULL AND id_number IS NOT NULL") == 1)

                let basis: JSONValue = ["basis": "certificate", "certificateId": .string(certificateID)]
                try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application(hardship: basis))
                try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases", as: H.wulian,
                                               H.application(hardship: basis, idNumber: "37112119900101123X"), field: "hardship.certificateId")
            }
        }
    }
}

import CaseDomain
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// A certificate issued in one city is recognised in another by the blind index of its
/// holder's ID number, under the federation's matching key: the holder's ID number and name
/// travel sealed, and no node's database holds them in plain text.
@Suite("Recognising certificates across cities", .serialized)
struct CertificateRecognitionTests {
    typealias F = FederationHarness
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    /// A holder no other test data names, so that finding the text anywhere means this certificate.
    static let idNumber = "371002199003074216"
    static let name = "欧阳澜溪"

    @Test func aCertificateIssuedInWeihaiIsRecognisedInRizhaoAndNoDatabaseHoldsItsHolderInPlainText() async throws {
        try await F.run { federation in
            let rizhao = federation["rizhao"], qingdao = federation["qingdao"], weihai = federation["weihai"]
            let (status, issued) = try await federation.call(weihai, "POST", "/v1/certificates", as: Self.huancui,
                                                             ["holderName": .string(Self.name), "idNumber": .string(Self.idNumber),
                                                              "basis": "城乡低保户", "validUntil": "2030-06-30T00:00:00.000Z"])
            #expect(status == 201, "\(issued)")
            let certificateID = try #require(issued["certificateId"]?.stringValue)
            let holder: JSONValue = ["idNumber": .string(Self.idNumber), "name": .string(Self.name)]

            try await F.waitUntil("Rizhao finds Weihai's certificate by its holder's ID number and name") {
                let (_, found) = try await federation.call(rizhao, "POST", "/v1/certificates/lookup", as: Self.wulian, holder)
                return found["items"]?[0]?["certificateId"]?.stringValue == certificateID
            }
            let (_, found) = try await federation.call(rizhao, "POST", "/v1/certificates/lookup", as: Self.wulian, holder)
            #expect(found["items"]?[0]?["issuingNode"] == "weihai" && found["items"]?[0]?["status"] == "valid", "\(found)")
            let (_, wrongName) = try await federation.call(rizhao, "POST", "/v1/certificates/lookup", as: Self.wulian,
                                                           ["idNumber": .string(Self.idNumber), "name": "欧阳某"])
            #expect(wrongName == ["items": []])
            let (_, atRizhao) = try await federation.call(rizhao, "GET", "/v1/certificates/\(certificateID)", as: Self.wulian)
            #expect((atRizhao["holderName"] ?? .null) == .null && (atRizhao["idNumber"] ?? .null) == .null, "\(atRizhao)")
            let (_, atWeihai) = try await federation.call(weihai, "GET", "/v1/certificates/\(certificateID)", as: Self.huancui)
            #expect(atWeihai["holderName"]?.stringValue == Self.name, "the issuing city reads its holder: \(atWeihai)")

            // Every node holds the certificate, and none holds its holder in plain text: not in
            // the events' bytes, not in any table (the issuing node's own register included).
            try await F.waitUntil("Qingdao's register holds the certificate") {
                try await qingdao.database.count("SELECT count(*)::int FROM projections.certificates WHERE certificate_id = '\(certificateID)'") == 1
            }
            for node in [rizhao, qingdao, weihai] {
                try await Self.expectNowhere([Self.idNumber, Self.name], in: node)
            }

            // Rizhao's application relies on it: its applicant's ID number has the certificate's index.
            let basis: JSONValue = ["basis": "certificate", "certificateId": .string(certificateID)]
            let (submitted, created) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian,
                                                                 NodeHarness.application(hardship: basis, idNumber: Self.idNumber))
            #expect(submitted == 201, "\(created)")
            let (_, view) = try await federation.call(rizhao, "GET", "/v1/cases/\(try #require(created["caseId"]?.stringValue))", as: Self.wulian)
            #expect(view["recognisedCertificate"]?["issuingNode"] == "weihai")
            #expect(view["recognisedCertificate"]?["issuingEventHash"] == found["items"]?[0]?["issuingEventHash"])
            let (refused, refusal) = try await federation.call(rizhao, "POST", "/v1/cases", as: Self.wulian,
                                                               NodeHarness.application(hardship: basis, idNumber: "371002199003074224"))
            #expect(refused == 422 && refusal["detail"] == "hardship.certificateId: the certificate was issued to another ID number", "\(refusal)")
        }
    }

    /// Fails for each table of `node`'s database with a row holding any of `texts` — as
    /// text, as the hex a `bytea` shows, JSON-escaped — and for an event envelope holding
    /// their UTF-8 bytes.
    static func expectNowhere(_ texts: [String], in node: F.Node, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = node.database.superuser
        var tables: [String] = []
        for try await table in try await client.query("""
            SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
             WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
            """).decode(String.self) { tables.append(table) }
        #expect(tables.contains("public.events") && tables.contains("projections.certificates"), "\(tables)", sourceLocation: sourceLocation)
        for text in texts {
            let encodings = [text, Data(text.utf8).map { String(format: "%02x", $0) }.joined(),
                             text.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined()]
            for table in tables {
                for encoding in encodings {
                    var bindings = PostgresBindings()
                    bindings.append(encoding)
                    let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table) t WHERE strpos(lower(t::text), lower($1)) > 0",
                                                                    binds: bindings))
                    for try await count in rows.decode(Int.self) {
                        #expect(count == 0, "\(node.id): \(table) holds \(encoding)", sourceLocation: sourceLocation)
                    }
                }
            }
            let envelopes = try await client.query("SELECT count(*)::int FROM events WHERE position(convert_to(\(text), 'UTF8') IN envelope) > 0")
            for try await count in envelopes.decode(Int.self) {
                #expect(count == 0, "\(node.id): an event envelope holds \(text)", sourceLocation: sourceLocation)
            }
        }
    }
}

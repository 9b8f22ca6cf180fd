import CaseDomain
import Casework
import Foundation
import HTTPTypes
import Hummingbird
import NodeServer
import Testing

/// Issue 13: one bad request must never stop a node or poison the log. Each hostile input
/// gets a clear problem, writes nothing, and leaves the node serving.
@Suite("Hostile input is refused where it enters")
struct HostileInputTests {
    typealias H = NodeHarness

    static func lawyerBody(_ lawyer: String) -> [String: JSONValue] {
        ["expectedVersion": 5, "lawyer": .string(lawyer), "firm": "山东某律师事务所", "chosenByApplicant": false]
    }

    /// A case granted at Licang, ready for a lawyer at version 5.
    static func grantedCase(_ node: H) async throws -> String {
        let id = try await RefusalTests.assessedCase(node)
        try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer", as: H.wulian, ["expectedVersion": 2, "toCentre": "qingdao-licang", "reason": "管辖"])
        try await node.expect(.ok, .post, "/v1/cases/\(id)/transfer/accept", as: H.licang, ["expectedVersion": 3])
        try await node.expect(.ok, .post, "/v1/cases/\(id)/decision", as: H.licang, ["expectedVersion": 4, "granted": true, "reason": "符合条件"])
        return id
    }

    /// Issue 13 item 3: the NUL check once looked for the ASCII bytes `\u0000`; a UTF-16 body
    /// hid them, the event committed, and no node could project the case again.
    @Test func aBodyInUTF16OrWithAByteOrderMarkIs415() async throws {
        try await H.run { node in
            let id = try await Self.grantedCase(node)
            let json = #"{"expectedVersion": 5, "lawyer": "\u0000x", "firm": "f", "chosenByApplicant": false}"#
            let token = try await node.token(H.licang)
            for (encoding, bytes) in [("utf16", Array(json.data(using: .utf16)!)), ("utf16le", Array(json.data(using: .utf16LittleEndian)!)),
                                      ("utf32", Array(json.data(using: .utf32)!)), ("bom", [0xEF, 0xBB, 0xBF] + Array(json.utf8))] {
                let before = try await node.logSize()
                let answer = try await node.send(.post, "/v1/cases/\(id)/lawyer", headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                                 body: ByteBuffer(bytes: bytes))
                #expect(answer.status == .unsupportedMediaType, "\(encoding): \(answer.json)")
                #expect(answer.problemType == "unsupported-media-type")
                #expect(try await node.logSize() == before)
            }
            let latin = try await node.send(.post, "/v1/cases/\(id)/lawyer", headers: [.contentType: "application/json; charset=iso-8859-1", .authorization: "Bearer \(token)"],
                                            body: ByteBuffer(string: "{}"))
            #expect(latin.status == .unsupportedMediaType)
            let invalid = try await node.send(.post, "/v1/cases/\(id)/lawyer", headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                              body: ByteBuffer(bytes: Array(#"{"lawyer": ""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)))
            #expect(invalid.status == .badRequest, "invalid UTF-8: \(invalid.json)")
            try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
        }
    }

    /// Every text that enters an event goes through the value rules: 422 naming the field.
    @Test func controlAndFormatCharactersAndOverlongTextAre422NamingTheField() async throws {
        try await H.run { node in
            let id = try await Self.grantedCase(node)
            for lawyer in ["\u{0}x", "李\u{7}律师", "李\u{85}律师", "李\u{202E}律师", "\u{200B}李", "\u{FEFF}", String(repeating: "李", count: 101)] {
                try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases/\(id)/lawyer",
                                               as: H.licang, .object(Self.lawyerBody(lawyer)), field: "lawyer")
            }
            var application = H.application()
            if case .object(var fields) = application, case .object(var applicant)? = fields["applicant"] {
                applicant["name"] = "\u{0600}<meta http-equiv=refresh content=0>\u{0301}"
                fields["applicant"] = .object(applicant)
                application = .object(fields)
            }
            try await RefusalTests.refused(node, .unprocessableContent, "validation", .post, "/v1/cases",
                                           as: H.wulian, application, field: "applicant.name")
            try await node.expect(.ok, .post, "/v1/cases/\(id)/lawyer", as: H.licang, .object(Self.lawyerBody("李律师")))
        }
    }

    /// Issue 13 item 3 through the staff page: `lawyer=%00x` went into the event as it came.
    @Test func aStaffFormWithAControlCharacterIsRefusedAndWritesNothing() async throws {
        try await H.run { node in
            let id = try await Self.grantedCase(node)
            let licang = try await StaffPagesTests.signIn(node, as: H.licang)
            let (_, html) = try await StaffPagesTests.page(node, "/cases/\(id)", cookie: licang)
            let csrf = try StaffPagesTests.csrf(in: html)
            let before = try await node.logSize()
            for lawyer in ["%00x", "%C2%85x", "%E2%80%AEx", "x%0Ay"] {
                let answer = try await StaffPagesTests.post(node, "/cases/\(id)/lawyer", cookie: licang, form: "csrf=\(csrf)&expectedVersion=5&lawyer=\(lawyer)&firm=F")
                #expect(answer.status == .unprocessableContent, "lawyer=\(lawyer)")
                #expect((answer.json.stringValue ?? "").contains("lawyer"), "the page names the field")
            }
            for lawyer in ["%C0%AF", "%FF%FE", "%E4%B8", "%G0", "%"] {
                let answer = try await StaffPagesTests.post(node, "/cases/\(id)/lawyer", cookie: licang, form: "csrf=\(csrf)&expectedVersion=5&lawyer=\(lawyer)&firm=F")
                #expect(answer.status == .badRequest, "lawyer=\(lawyer): invalid UTF-8 or a broken escape")
            }
            #expect(try await node.logSize() == before, "nothing written")
            try await node.expect(.ok, .get, "/v1/cases/\(id)", as: H.licang)
        }
    }

    /// The page's certificate check takes the API's ID number and name rules: a NUL once reached PostgreSQL (500).
    @Test func theCertificatePageRefusesAMalformedIDNumber() async throws {
        try await H.run { node in
            let wulian = try await StaffPagesTests.signIn(node, as: H.wulian)
            let csrf = try StaffPagesTests.csrf(in: try await StaffPagesTests.page(node, "/certificates", cookie: wulian).1)
            for idNumber in ["%00", "37112119800101123%00", String(repeating: "9", count: 5000)] {
                let answer = try await StaffPagesTests.post(node, "/certificates", cookie: wulian, form: "csrf=\(csrf)&idNumber=\(idNumber)&name=%E5%BC%A0")
                #expect(answer.status == .unprocessableContent, "\(idNumber.prefix(30))")
            }
            let answer = try await StaffPagesTests.post(node, "/certificates", cookie: wulian, form: "csrf=\(csrf)&idNumber=371121198001011234&name=%E5%BC%A0%00")
            #expect(answer.status == .unprocessableContent, "a NUL in the name")
        }
    }

    /// Issue 13 item 2: a cursor with the most negative due date overflowed Timestamp
    /// arithmetic and killed the node.
    @Test func aHostileInboxCursorIs422AndTheNodeLives() async throws {
        try await H.run { node in
            for cursor in ["LTkyMjMzNzIwMzY4NTQ3NzU4MDh8eA%3D%3D", Data("9223372036854775806|x".utf8).base64EncodedString(),
                           Data("0|\u{0}".utf8).base64EncodedString(), String(repeating: "A", count: 10_000)] {
                let answer = try await node.call(.get, "/v1/inbox?cursor=\(cursor)", as: H.wulian)
                #expect(answer.status == .unprocessableContent, "\(cursor.prefix(40)): \(answer.json)")
            }
            try await node.expect(.ok, .get, "/v1/inbox", as: H.wulian)
        }
    }

    @Test func anOversizedJSONBodyIs413AndWritesNothing() async throws {
        try await H.run { node in
            let token = try await node.token(H.wulian)
            let body = #"{"x": ""# + String(repeating: "a", count: 300 * 1024) + #""}"#
            let answer = try await node.send(.post, "/v1/cases", headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                             body: ByteBuffer(string: body))
            #expect(answer.status == .contentTooLarge, "\(answer.json)")
            #expect(try await node.logSize() == 0)
        }
    }
}

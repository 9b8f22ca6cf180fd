import CaseDomain
import Casework
import Foundation
import Hummingbird
import NodeServer
import TestSupport
import Testing

/// A printed letter's verification code is the hash of the event it was rendered from:
/// `GET /verify/{hash}` confirms who recorded what and when, for anyone holding the
/// letter, and finds nothing for an altered code.
@Suite("Letter verification codes")
struct LetterVerificationTests {
    typealias H = NodeHarness

    @Test func aRealCodeIsConfirmedAndAnAlteredOneIsNot() async throws {
        try await H.run { node in
            let created = try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())
            let caseID = try #require(created["caseId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/cases/\(caseID)/assessment", as: H.licang, ["expectedVersion": 1, "eligible": true, "reason": "符合条件"])
            let decided = try await node.expect(.ok, .post, "/v1/cases/\(caseID)/decision", as: H.licang, ["expectedVersion": 2, "granted": true, "reason": "同意"])
            let timeline = try await node.expect(.ok, .get, "/v1/cases/\(caseID)/timeline", as: H.licang)
            guard case .array(let events)? = timeline["events"] else { Issue.record("no timeline: \(timeline)"); return }
            let decisionCode = try #require(events.first { $0["type"] == "AidDecided" }?["hash"]?.stringValue)
            let applicationCode = try #require(events.first { $0["type"] == "ApplicationSubmitted" }?["hash"]?.stringValue)

            // No token: whoever holds the letter checks it.
            let confirmed = try await node.expect(.ok, .get, "/verify/\(decisionCode.uppercased())", as: nil)
            #expect(confirmed["verified"] == true && confirmed["check"] == "ok" && confirmed["type"] == "AidDecided", "\(confirmed)")
            #expect(confirmed["code"]?.stringValue == decisionCode && confirmed["node"] == "qingdao" && confirmed["centre"] == "qingdao-licang")
            #expect(confirmed["number"] == decided["number"] && confirmed["streamVersion"] == 3, "\(confirmed)")

            var altered = Array(decisionCode)
            altered[10] = altered[10] == "0" ? "1" : "0"
            let forged = try await node.call(.get, "/verify/\(String(altered))", as: nil)
            #expect(forged.status == .notFound && forged.problemType == "not-found", "\(forged.json)")
            for malformed in ["abc", String(repeating: "g", count: 64), String(repeating: "a", count: 65), "%00"] {
                let answer = try await node.call(.get, "/verify/\(malformed)", as: nil)
                #expect(answer.status == .badRequest, "\(malformed): \(answer.json)")
            }

            // The application's code confirms the event, never its personal data.
            let application = try await node.expect(.ok, .get, "/verify/\(applicationCode)", as: nil)
            let text = String(decoding: try CanonicalJSON.encode(application), as: UTF8.self)
            #expect(application["verified"] == true && !text.contains("张") && !text.contains("371121") && !text.contains("138000"), "\(text)")

            // A browser gets a page saying so.
            let page = try await node.send(.get, "/verify/\(decisionCode)", headers: [.accept: "text/html"], body: nil)
            let html = page.json.stringValue ?? ""
            #expect(page.status == .ok && html.contains("核验通过") && html.contains(decided["number"]?.stringValue ?? "?"), "\(html)")
            // An altered or malformed code is a page for a browser too, with the problem's status.
            let alteredPage = try await node.send(.get, "/verify/\(String(repeating: "0", count: 64))", headers: [.accept: "text/html"], body: nil)
            #expect(alteredPage.status == .notFound && (alteredPage.json.stringValue ?? "").contains("the letter was altered"), "\(alteredPage.json)")
            let malformed = try await node.send(.get, "/verify/%3Cscript%3E", headers: [.accept: "text/html"], body: nil)
            #expect(malformed.status == .badRequest && (malformed.json.stringValue ?? "").contains("64 hexadecimal digits") && !(malformed.json.stringValue ?? "").contains("<script"), "\(malformed.json)")
        }
    }
}

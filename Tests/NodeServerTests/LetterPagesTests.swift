import CaseDomain
import Casework
import Foundation
@testable import NodeServer
import Testing

/// The standard letters: each rendered from its event, with the case's or the request's
/// number and a verification code that /verify confirms as that event.
@Suite("Standard letters")
struct LetterPagesTests {
    typealias H = NodeHarness
    typealias Pages = StaffPagesTests

    @Test func eachLetterCarriesItsNumberAndACodeVerifyConfirms() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.wulian, H.application())["caseId"]?.stringValue)
            let path = "/v1/cases/\(caseID)"
            try await node.expect(.ok, .post, "\(path)/assessment", as: H.wulian, ["expectedVersion": 1, "eligible": true, "reason": "缺材料", "missing": ["身份证复印件"]])
            try await node.expect(.ok, .post, "\(path)/materials", as: H.wulian,
                                  ["expectedVersion": 2, "documents": [["name": "身份证.pdf", "mediaType": "application/pdf", "size": 10, "sha256": .string(String(repeating: "cd", count: 32))]]])
            try await node.expect(.ok, .post, "\(path)/transfer", as: H.wulian, ["expectedVersion": 3, "toCentre": "qingdao-licang", "reason": "法院在李沧"])
            try await node.expect(.ok, .post, "\(path)/transfer/accept", as: H.licang, ["expectedVersion": 4])
            try await node.expect(.ok, .post, "\(path)/decision", as: H.licang, ["expectedVersion": 5, "granted": true, "reason": "符合条件"])
            try await node.expect(.ok, .post, "\(path)/lawyer", as: H.licang, ["expectedVersion": 6, "lawyer": "李律师", "firm": "山东某所"])
            let requested = try await node.expect(.created, .post, "\(path)/investigations", as: H.licang,
                                                  ["toCentre": "weihai-huancui", "questions": ["现场情况"], "dueDays": 10])
            let investigation = try #require(requested["investigationId"]?.stringValue)
            try await node.expect(.ok, .post, "/v1/investigations/\(investigation)/accept", as: H.huancui, ["expectedVersion": 1])

            let licang = try await Pages.signIn(node, as: H.licang)
            let (_, casePage) = try await Pages.page(node, "/cases/\(caseID)", cookie: licang)
            let expected: [(String, String, String, String)] = [
                ("materials", "补充材料通知书", "LICANG-2026-000001", "ApplicationAssessed"),
                ("decision", "给予法律援助决定书", "LICANG-2026-000001", "AidDecided"),
                ("assignment", "指派通知书", "LICANG-2026-000001", "LawyerAssigned"),
                ("transfer", "法律援助申请转交函", "LICANG-2026-000001", "TransferRequested"),
                ("investigation", "异地协作调查函", "HUANCUI-XC-2026-000001", "InvestigationRequested"),
            ]
            for (kind, title, number, type) in expected {
                #expect(casePage.contains("/cases/\(caseID)/letters/\(kind)"), "the case page links the \(kind) letter")
                let (status, letter) = try await Pages.page(node, "/cases/\(caseID)/letters/\(kind)", cookie: licang)
                #expect(status == .ok && letter.contains(title) && letter.contains(#"<span data-field="number">\#(number)</span>"#), "\(kind): \(letter)")
                let marker = #"data-field="verification">"#
                let code = try #require(letter.range(of: marker).map { String(letter[$0.upperBound...].prefix(64)) })
                let verified = try await node.expect(.ok, .get, "/verify/\(code)", as: nil)
                #expect(verified["verified"] == true && verified["type"]?.stringValue == type, "\(kind): \(verified)")
                #expect(!letter.contains("371121198001011234"), "no full ID number on a letter")
            }
            let (_, decision) = try await Pages.page(node, "/cases/\(caseID)/letters/decision", cookie: licang)
            #expect(decision.contains("符合条件") && decision.contains("@page{size:A4"), "the reason, print-ready")

            let (unknown, _) = try await Pages.page(node, "/cases/\(caseID)/letters/nonsense", cookie: licang)
            #expect(unknown == .notFound)
            let rongcheng = try await Pages.signIn(node, as: CentreID(rawValue: "weihai-rongcheng")!)
            let (stranger, strangerPage) = try await Pages.page(node, "/cases/\(caseID)/letters/decision", cookie: rongcheng)
            #expect(stranger == .forbidden || stranger == .notFound, "\(stranger)")
            #expect(!strangerPage.contains("符合条件"))
        }
    }

    @Test func theDeliveryReceiptLetterProvesWhenTheRecipientGotAndOpenedTheTransfer() async throws {
        try await H.run { node in
            let caseID = try await TransferCancelTests.pendingTransfer(node)
            let wulian = try await Pages.signIn(node, as: H.wulian)
            let (_, before) = try await Pages.page(node, "/cases/\(caseID)", cookie: wulian)
            #expect(before.contains("送达情况") && before.contains(#"<td class="delivered-at"><span class="not-yet">尚未</span>"#), "\(before)")
            let (none, _) = try await Pages.page(node, "/cases/\(caseID)/letters/delivery", cookie: wulian)
            #expect(none == .notFound, "no receipt yet, no 送达回证")

            try await node.server.deliveryClerk(interval: .seconds(1), logger: .init(label: "test")).round()
            let licang = try await Pages.signIn(node, as: H.licang)
            let (_, opened) = try await Pages.page(node, "/cases/\(caseID)", cookie: licang)
            #expect(opened.contains(#"<td class="opened-at">2026-11-20 10:00"#), "Licang's page shows its own opening at once: \(opened)")
            let (status, letter) = try await Pages.page(node, "/cases/\(caseID)/letters/delivery", cookie: wulian)
            #expect(status == .ok && letter.contains("送达回证") && letter.contains("李沧") && letter.contains("首次查阅（签收）"), "\(letter)")
            #expect(!letter.contains("尚未查阅"), "opened: \(letter)")
            let marker = #"data-field="verification">"#
            let code = try #require(letter.range(of: marker).map { String(letter[$0.upperBound...].prefix(64)) })
            let verified = try await node.expect(.ok, .get, "/verify/\(code)", as: nil)
            #expect(verified["type"] == "DeliveryOpened" && verified["centre"] == "qingdao-licang", "\(verified)")
            #expect(letter.contains(#"<span data-field="number">"#))
        }
    }

    @Test func aLetterWithoutItsEventIsNotFound() async throws {
        try await H.run { node in
            let caseID = try #require(try await node.expect(.created, .post, "/v1/cases", as: H.licang, H.application())["caseId"]?.stringValue)
            let licang = try await Pages.signIn(node, as: H.licang)
            for kind in ["materials", "decision", "assignment", "transfer", "investigation"] {
                let (status, _) = try await Pages.page(node, "/cases/\(caseID)/letters/\(kind)", cookie: licang)
                #expect(status == .notFound, "\(kind)")
            }
        }
    }
}

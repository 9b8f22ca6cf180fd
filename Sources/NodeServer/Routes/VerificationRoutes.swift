import CaseDomain
import Casework
import EventLog
import Hummingbird

/// `GET /verify/{hash}`: a printed letter's verification code (the hash of the event it
/// was rendered from) checked against this node's log by anyone holding the letter. It
/// answers who recorded what and when — the event's type, node, centre, time and the
/// record's number — and whether its signature holds; never a body's personal data.
/// An HTML page for a browser (`Accept: text/html`), JSON otherwise.
struct VerificationRoutes {
    let reader: EventReader
    /// The federation's keys as they stand (key changes followed).
    let keys: any OriginKeySource

    /// What the node confirms about one code.
    struct Confirmation: Encodable, Sendable {
        var code: String
        /// The event is in this node's log, accepted, and its hash and signature hold.
        var verified: Bool
        var type: String
        var recordedAt: Timestamp
        var node: String
        var centre: String?
        var streamId: String
        var streamVersion: Int64
        /// The case or request number the event gave or names, where its body has one in plain text.
        var number: String?
        /// `ok`, or why the event does not verify: `hash-mismatch`, `unknown-origin`,
        /// `bad-signature`, `quarantined` (a fixed word: the caller is anonymous).
        var check: String
    }

    func add(to router: Router<NodeRequestContext>) {
        router.get("verify/{hash}") { request, context in
            let wantsPage = request.headers[.accept]?.contains("text/html") == true
            let language = PageSession.language(of: request)
            do {
                let code = try context.parameters.require("hash")
                guard let hash = EventHash(hex: code.lowercased()) else {
                    throw Problem(.malformed, "a verification code is the 64 hexadecimal digits printed on the letter, not '\(code.prefix(80))'")
                }
                guard let event = try await reader.event(withHash: hash) else {
                    throw Problem(.notFound, "no event with verification code \(hash.hex) on this node: the letter was altered, or its event has not reached this node yet")
                }
                let confirmation = try await confirm(event)
                return wantsPage ? Self.page(confirmation, language: language) : try JSONResponse(confirmation).response(from: request, context: context)
            } catch let problem as Problem where wantsPage {
                // A browser holding a letter gets a page that says why, as the API's problem does.
                let title = language == .zh ? "文书核验" : "Letter verification"
                return HTML.page(title, language: language, signedIn: nil, csrf: nil,
                                 body: "<p class=\"not-verified\" role=\"alert\">\(HTML.escape(problem.detail))</p>", status: problem.status)
            }
        }
    }

    private func confirm(_ event: RecordedEvent) async throws -> Confirmation {
        let envelope = event.envelope
        var check = "ok"
        let keyring = try await keys.originKeys()
        do throws(IntegrityError) { try event.signed.verify(with: keyring) } catch {
            check = switch error {
            case .hashMismatch: "hash-mismatch"
            case .unknownOrigin: "unknown-origin"
            default: "bad-signature"
            }
        }
        if event.quarantineReason != nil { check = "quarantined" }
        return Confirmation(code: event.signed.hash.hex, verified: check == "ok", type: envelope.type, recordedAt: envelope.recordedAt,
                            node: envelope.originNode.rawValue, centre: envelope.actor.centre?.rawValue, streamId: envelope.streamId,
                            streamVersion: envelope.streamVersion, number: envelope.body["number"]?.stringValue, check: check)
    }

    private static func page(_ confirmation: Confirmation, language: Language) -> Response {
        let zh = language == .zh
        let verdict = confirmation.verified ? (zh ? "核验通过：此件与共享记录一致。" : "Verified: this letter matches the shared record.")
                                            : (zh ? "核验未通过：" : "Not verified: ") + confirmation.check
        let rows: [(String, String)] = [
            (zh ? "核验码" : "Code", confirmation.code), (zh ? "事项" : "Event", confirmation.type),
            (zh ? "记录时间" : "Recorded", confirmation.recordedAt.description), (zh ? "记录节点" : "Node", confirmation.node),
            (zh ? "机构" : "Centre", confirmation.centre ?? "—"), (zh ? "编号" : "Number", confirmation.number ?? "—"),
        ]
        let table = rows.map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }.joined()
        let body = "<p class=\"\(confirmation.verified ? "verified" : "not-verified")\">\(HTML.escape(verdict))</p><table>\(table)</table>"
        return HTML.page(zh ? "文书核验" : "Letter verification", language: language, signedIn: nil, csrf: nil, body: body)
    }
}

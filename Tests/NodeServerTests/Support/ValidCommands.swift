import CaseDomain
import Foundation
import TestSupport

/// A staff write as the property test sends it: a POST of a JSON body.
struct StaffCommand: Sendable, CustomStringConvertible {
    var path: String
    var body: JSONValue

    var description: String {
        "POST \(path) \(String(decoding: (try? CanonicalJSON.encode(body)) ?? [], as: UTF8.self).prefix(400))"
    }
}

/// Commands the domain allows a record in the phase a node's view shows, given by the
/// centre whose turn it is (``turn(ofCase:)``, ``turn(ofInvestigation:)``): what a careful
/// member of staff would do next, drawn from a seeded generator.
struct ValidCommands: Sendable {
    /// The centres of the running nodes.
    let centres: [CentreID]

    /// An application at `centre`: a varied applicant (names with a middle dot, an emoji,
    /// markup), free text with a tab and a line break, exempt or on a promise, sometimes urgent.
    func submission(using random: inout SeededRandom) -> StaffCommand {
        let digits = (0..<17).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
        let phone = "1" + (0..<10).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
        let exempt = random.oneIn(2)
        let applicant: JSONValue = .object([
            "name": .string(["张某", "阿依古丽·买买提", "李🙂", "O'Brien <b>&amp;", "欧阳\u{0301}娜娜"].randomElement(using: &random)!),
            "idNumber": .string(digits + (random.oneIn(10) ? "X" : String(Int.random(in: 0...9, using: &random)))),
            "phone": .string(phone), "homeCity": .string(centres.randomElement(using: &random)!.node.rawValue),
            "groups": exempt ? ["migrant-worker"] : [],
        ])
        let matter: JSONValue = .object([
            "litigation": .bool(random.oneIn(2)), "cause": .string(["traffic-accident", "labour-remuneration", "work-injury"].randomElement(using: &random)!),
            "summary": "事故经过:\n\t对方逃逸", "venue": "青岛市李沧区人民法院",
            "jurisdictionCentre": .string(centres.randomElement(using: &random)!.rawValue),
        ])
        return StaffCommand(path: "/v1/cases", body: .object([
            "applicant": applicant, "matter": matter, "urgent": .bool(random.oneIn(4)),
            "hardship": exempt ? ["basis": "exempt", "group": "migrant-worker"] : ["basis": "promise", "statement": "本人承诺家庭经济困难"],
            "documents": [Self.document(using: &random)],
            "consent": ["shareWithJurisdiction": true, "checksByOtherCities": true],
        ]))
    }

    /// The centre that may act on the case next (`nil` once nothing is left to do).
    static func turn(ofCase view: JSONValue) -> CentreID? {
        switch view["phase"]?.stringValue {
        case "transfer-pending": view["transferTarget"]?.stringValue.flatMap(CentreID.init(rawValue:))
        case "submitted", "awaiting-materials", "ready-for-decision", "granted", "lawyer-assigned", "closed":
            view["owner"]?.stringValue.flatMap(CentreID.init(rawValue:))
        default: nil
        }
    }

    /// The centre that may act on the investigation request next (`nil` once it is done).
    static func turn(ofInvestigation view: JSONValue) -> CentreID? {
        switch view["phase"]?.stringValue {
        case "requested", "accepted", "lawyer-assigned": view["toCentre"]?.stringValue.flatMap(CentreID.init(rawValue:))
        case "reported": view["fromCentre"]?.stringValue.flatMap(CentreID.init(rawValue:))
        default: nil
        }
    }

    /// A command on case `id` in the state `view` shows, or `nil` if its phase allows none.
    func next(forCase id: String, view: JSONValue, using random: inout SeededRandom) -> StaffCommand? {
        guard let owner = view["owner"]?.stringValue.flatMap(CentreID.init(rawValue:)), let version = view["version"]?.integerValue else { return nil }
        func command(_ action: String, _ fields: [String: JSONValue] = [:]) -> StaffCommand {
            var fields = fields
            fields["expectedVersion"] = .integer(version)
            return StaffCommand(path: "/v1/cases/\(id)/\(action)", body: .object(fields))
        }
        let hasLawyer = view["lawyer"]?.stringValue != nil
        let elsewhere = centres.filter { $0.node != owner.node }
        // A third node's centre when there is one: neither the owner's nor the intake's city.
        let intakeNode = view["intakeCentre"]?.stringValue.flatMap(CentreID.init(rawValue:))?.node
        let third = elsewhere.filter { $0.node != intakeNode }
        let investigation = StaffCommand(path: "/v1/cases/\(id)/investigations", body: [
            "toCentre": .string((third.isEmpty ? elsewhere : third).randomElement(using: &random)!.rawValue),
            "questions": ["事故现场情况", "证人证言"], "dueDays": .integer(Int64.random(in: 1...90, using: &random)),
        ])
        let lawyer = command("lawyer", ["lawyer": "李律师", "firm": "山东某律师事务所", "chosenByApplicant": .bool(random.oneIn(3))])
        var options: [(Int, StaffCommand)] = []
        switch view["phase"]?.stringValue {
        case "submitted":
            options = [(6, command("assessment", ["eligible": true, "reason": "符合条件"])),
                       (2, command("assessment", ["eligible": true, "reason": "材料不全", "missing": ["身份证复印件"]])),
                       (1, command("assessment", ["eligible": false, "reason": "不符合条件"]))]
            if view["urgent"] == .bool(true) && view["advanceAid"] != .bool(true) { options.append((2, command("advance-aid", ["reason": "情况紧急"]))) }
        case "awaiting-materials":
            options = [(1, command("materials", ["documents": [Self.document(using: &random)]]))]
        case "ready-for-decision":
            options = [(3, command("decision", ["granted": true, "reason": "同意提供法律援助"])), (1, command("decision", ["granted": false, "reason": "不予援助"])),
                       (2, investigation)]
            if !hasLawyer {
                options.append((3, command("transfer", ["toCentre": .string(elsewhere.randomElement(using: &random)!.rawValue), "reason": "管辖"])))
                if view["advanceAid"] == .bool(true) { options.append((2, lawyer)) }
            }
        case "transfer-pending":
            options = [(3, command("transfer/accept")), (1, command("transfer/return", ["reason": "不属本中心管辖"]))]
        case "granted":
            options = [(3, lawyer), (2, investigation)]
        case "lawyer-assigned":
            options = [(2, investigation), (2, command("close", ["outcome": "调解结案", "recoveredAmount": .integer(Int64.random(in: 0...10_000_000, using: &random))]))]
            if view["originalsCollected"] != .bool(true) { options.append((2, command("originals-collected"))) }
        case "closed":
            options = [(1, command("follow-up", ["satisfied": .bool(random.oneIn(2)), "note": "回访"]))]
            options.append((2, view["originalsCollected"] == .bool(true) ? command("archive") : command("originals-collected")))
        default:
            return nil
        }
        return random.weighted(options)
    }

    /// A command on investigation request `id` in the state `view` shows, or `nil` if none is left.
    func next(forInvestigation id: String, view: JSONValue, using random: inout SeededRandom) -> StaffCommand? {
        guard let version = view["version"]?.integerValue else { return nil }
        func command(_ action: String, _ fields: [String: JSONValue] = [:]) -> StaffCommand {
            var fields = fields
            fields["expectedVersion"] = .integer(version)
            return StaffCommand(path: "/v1/investigations/\(id)/\(action)", body: .object(fields))
        }
        switch view["phase"]?.stringValue {
        case "requested": return random.weighted([(5, command("accept")), (1, command("decline", ["reason": "人手不足"]))])
        case "accepted": return command("assign", ["lawyer": "王律师", "firm": "威海某律所"])
        case "lawyer-assigned": return command("report", ["findings": "现场照片与证言已取得", "documents": [Self.document(using: &random)]])
        case "reported": return command("acknowledge")
        default: return nil
        }
    }

    private static func document(using random: inout SeededRandom) -> JSONValue {
        let sha256 = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        return ["name": "证据.pdf", "mediaType": "application/pdf", "size": .integer(Int64.random(in: 1...1_000_000, using: &random)), "sha256": .string(sha256)]
    }
}

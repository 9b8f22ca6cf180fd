import CaseDomain
import Foundation
import TestSupport

/// A request no node may act on: the class of hostile input it is, the request, and the
/// status the README promises for that class (`nil`: some 4xx).
struct HostileRequest: Sendable, CustomStringConvertible {
    /// The class, as the README's table of hostile input names it.
    let category: String
    /// This request's instance of it.
    let kind: String
    let method: String
    let path: String
    let body: Data?
    let expectedStatus: Int?

    var description: String {
        let text = body.map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? ""
        return "\(kind): \(method) \(path) \(text)\(body.map { $0.count > 300 ? "… (\($0.count) bytes)" : "" } ?? "")"
    }
}

/// Hostile variants of a command a centre could give right now, so that nothing but the
/// hostile part stands between the request and a write: text breaking the value rules in
/// any field, a body that is not UTF-8 or is too large, a wrong `expectedVersion`,
/// numbers out of range or beyond any integer type, unknown centres; and a malformed
/// inbox cursor, which carries no command.
enum HostileRequests {
    /// Text no field takes: U+0000 (JSON-escaped by the encoder), a C1 control, a bidi
    /// override, an escape sequence, 5,000 characters.
    static let texts: [(String, String)] = [
        ("NUL", "\u{0}x"), ("C1 control", "李\u{85}律师"), ("bidi override", "李\u{202E}律师"), ("escape sequence", "\u{1B}[2J"),
        ("5,000 characters", String(repeating: "李", count: 5000)),
    ]
    /// Spellings of numbers beyond Int64 or out of every field's range.
    static let numbers = ["99999999999999999999999", "-9223372036854775809", "9223372036854775807", "1e400", "-1", "1.5"]
    static let unknownCentres = ["rizhao-nowhere", "harbin-daoli", "qingdao-LICANG"]
    static let cursors = ["LTkyMjMzNzIwMzY4NTQ3NzU4MDh8eA%3D%3D", "OTIyMzM3MjAzNjg1NDc3NTgwNnx4", String(repeating: "A", count: 1000)]

    /// A hostile variant of `valid`, or a malformed cursor.
    static func make(from valid: StaffCommand, using random: inout SeededRandom) -> HostileRequest {
        let strings = leaves(of: valid.body) { if case .string = $0 { true } else { false } }
        let integers = leaves(of: valid.body) { if case .integer = $0 { true } else { false } }
        let centres = strings.filter { ["toCentre", "jurisdictionCentre"].contains($0.last) }
        var choices: [(Int, Kind)] = [(2, .encoding), (1, .oversized), (1, .cursor)]
        if !strings.isEmpty { choices += [(6, .text), (1, .surrogate)] }
        if !integers.isEmpty { choices.append((2, .number)) }
        if valid.body["expectedVersion"] != nil { choices.append((2, .version)) }
        if !centres.isEmpty { choices.append((2, .centre)) }
        let json = { (body: JSONValue) in Data((try? CanonicalJSON.encode(body)) ?? []) }
        let category = random.weighted(choices)
        func post(_ kind: String, _ body: Data, expecting status: Int? = nil) -> HostileRequest {
            HostileRequest(category: category.rawValue, kind: kind, method: "POST", path: valid.path, body: body, expectedStatus: status)
        }
        /// The body with the leaf at `path` replaced by the raw JSON `literal`.
        func spliced(_ path: [String], _ literal: String) -> Data {
            let marker = "hostile-\(UInt64.random(in: 0...UInt64.max, using: &random))"
            let text = String(decoding: json(replacing(path, in: valid.body, with: .string(marker))), as: UTF8.self)
            return Data(text.replacingOccurrences(of: "\"\(marker)\"", with: literal).utf8)
        }
        switch category {
        case .text:
            let path = strings.randomElement(using: &random)!
            let (name, text) = texts.randomElement(using: &random)!
            return post("\(name) in \(path.joined(separator: "."))", json(replacing(path, in: valid.body, with: .string(text))))
        case .surrogate:
            let path = strings.randomElement(using: &random)!
            return post("unpaired surrogate in \(path.joined(separator: "."))", spliced(path, #""\ud800x""#))
        case .encoding:
            let text = String(decoding: json(valid.body), as: UTF8.self)
            let (name, encoding) = [("UTF-16", String.Encoding.utf16), ("UTF-16LE", .utf16LittleEndian), ("UTF-32", .utf32)].randomElement(using: &random)!
            return post("a body in \(name)", text.data(using: encoding)!, expecting: 415)
        case .oversized:
            guard case .object(var fields) = valid.body else { preconditionFailure("commands are objects") }
            fields["padding"] = .string(String(repeating: "a", count: 300 * 1024))
            return post("a 300 KiB body", json(.object(fields)), expecting: 413)
        case .number:
            let path = integers.randomElement(using: &random)!
            let number = numbers.randomElement(using: &random)!
            return post("\(number) as \(path.joined(separator: "."))", spliced(path, number))
        case .version:
            let version = valid.body["expectedVersion"]?.integerValue ?? 0
            let wrong = [version - 1, version + 1, version + 1000].randomElement(using: &random)!
            return post("expectedVersion \(wrong) for \(version)", json(replacing(["expectedVersion"], in: valid.body, with: .integer(wrong))), expecting: 409)
        case .centre:
            let path = centres.randomElement(using: &random)!
            let centre = unknownCentres.randomElement(using: &random)!
            return post("unknown centre \(centre) as \(path.joined(separator: "."))", json(replacing(path, in: valid.body, with: .string(centre))))
        case .cursor:
            let cursor = cursors.randomElement(using: &random)!
            return HostileRequest(category: category.rawValue, kind: "malformed inbox cursor", method: "GET", path: "/v1/inbox?cursor=\(cursor)", body: nil, expectedStatus: 422)
        }
    }

    private enum Kind: String {
        case text = "text breaking a value rule", surrogate = "invalid UTF-16 escape", encoding = "a body not in UTF-8"
        case oversized = "a body over the limit", number = "a number out of range", version = "a wrong expectedVersion"
        case centre = "an unknown centre", cursor = "a malformed cursor"
    }

    /// The paths (object keys, array indices as numbers) of the leaves `matching`.
    private static func leaves(of value: JSONValue, path: [String] = [], matching: (JSONValue) -> Bool) -> [[String]] {
        switch value {
        case .object(let fields): fields.keys.sorted().flatMap { leaves(of: fields[$0]!, path: path + [$0], matching: matching) }
        case .array(let items): items.indices.flatMap { leaves(of: items[$0], path: path + [String($0)], matching: matching) }
        default: matching(value) ? [path] : []
        }
    }

    private static func replacing(_ path: [String], in value: JSONValue, with leaf: JSONValue) -> JSONValue {
        guard let key = path.first else { return leaf }
        switch value {
        case .object(var fields):
            fields[key] = replacing(Array(path.dropFirst()), in: fields[key] ?? .null, with: leaf)
            return .object(fields)
        case .array(var items):
            guard let index = Int(key), items.indices.contains(index) else { return value }
            items[index] = replacing(Array(path.dropFirst()), in: items[index], with: leaf)
            return .array(items)
        default:
            return value
        }
    }
}

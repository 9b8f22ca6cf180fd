/// Masked forms of personal data, for views: the events keep the full values, what staff
/// see in lists and timelines does not.
public enum PersonalData {
    /// `张某某` → `张**`.
    public static func maskName(_ name: String) -> String {
        guard let first = name.first else { return name }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }

    /// Keeps the first `head` and last `tail` characters: `371121198001011234` → `3711**********1234`.
    public static func mask(_ text: String, head: Int, tail: Int) -> String {
        guard text.count > head + tail else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(head)) + String(repeating: "*", count: text.count - head - tail) + String(text.suffix(tail))
    }

    public static func maskIDNumber(_ id: String) -> String { mask(id, head: 4, tail: 4) }
    public static func maskPhone(_ phone: String) -> String { mask(phone, head: 3, tail: 4) }

    /// An event body with ID and phone numbers masked wherever they appear.
    public static func masked(_ body: JSONValue) -> JSONValue {
        switch body {
        case .object(let fields):
            var masked: [String: JSONValue] = [:]
            for (key, value) in fields {
                switch (key, value) {
                case ("idNumber", .string(let id)): masked[key] = .string(maskIDNumber(id))
                case ("phone", .string(let phone)): masked[key] = .string(maskPhone(phone))
                default: masked[key] = Self.masked(value)
                }
            }
            return .object(masked)
        case .array(let items): return .array(items.map(Self.masked))
        default: return body
        }
    }
}

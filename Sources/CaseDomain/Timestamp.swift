/// A UTC instant with millisecond precision: how events record time.
///
/// Its text form is fixed (`2026-11-24T08:30:00.123Z`), so the same instant always has
/// the same bytes in a signed envelope.
///
/// A timestamp lies within the years 0000 to 9999, the instants its text form can write:
/// arithmetic saturates at those ends, so no instant from a request, a peer or a clock can
/// make it trap, and the difference of two timestamps always fits an `Int64`.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    /// 0000-01-01T00:00:00.000Z.
    public static let earliest = Timestamp(exactly: -62_167_219_200_000)!
    /// 9999-12-31T23:59:59.999Z.
    public static let latest = Timestamp(exactly: 253_402_300_799_999)!

    /// The instant `millisecondsSinceEpoch` after the epoch, clamped to ``earliest`` ... ``latest``.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = min(max(millisecondsSinceEpoch, -62_167_219_200_000), 253_402_300_799_999)
    }

    /// The instant `milliseconds` after the epoch; `nil` outside ``earliest`` ... ``latest``
    /// (for values from outside, which are refused rather than clamped).
    public init?(exactly milliseconds: Int64) {
        guard (-62_167_219_200_000...253_402_300_799_999).contains(milliseconds) else { return nil }
        self.millisecondsSinceEpoch = milliseconds
    }

    /// This instant moved by `milliseconds` (negative: earlier), saturating at the range's ends.
    public func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        return Timestamp(millisecondsSinceEpoch: overflow ? (milliseconds > 0 ? .max : .min) : sum)
    }

    /// This instant moved by `days` whole days of 24 hours, saturating at the range's ends.
    public func adding(days: Int64) -> Timestamp {
        let (shift, overflow) = days.multipliedReportingOverflow(by: 86_400_000)
        return adding(milliseconds: overflow ? (days > 0 ? .max : .min) : shift)
    }

    /// Milliseconds from `earlier` to this instant (negative when `earlier` is later).
    /// Never overflows: both lie in the bounded range.
    public func milliseconds(since earlier: Timestamp) -> Int64 {
        millisecondsSinceEpoch - earlier.millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The ISO-8601 text form, always with milliseconds and `Z`.
    public var description: String {
        let (days, millisOfDay) = millisecondsSinceEpoch.floorDividedAndRemainder(by: 86_400_000)
        let (year, month, day) = Self.civilDate(fromDaysSinceEpoch: days)
        let hours = millisOfDay / 3_600_000
        let minutes = millisOfDay / 60_000 % 60
        let seconds = millisOfDay / 1000 % 60
        let millis = millisOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.mmm]Z`; `nil` for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, !range.isEmpty else { return nil }
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(at index: Int, is character: Character) -> Bool {
            index < bytes.count && bytes[index] == character.asciiValue
        }
        guard bytes.count >= 20,
              let year = number(0..<4), byte(at: 4, is: "-"),
              let month = number(5..<7), byte(at: 7, is: "-"),
              let day = number(8..<10), byte(at: 10, is: "T"),
              let hour = number(11..<13), byte(at: 13, is: ":"),
              let minute = number(14..<16), byte(at: 16, is: ":"),
              let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var millis: Int64 = 0
        var index = 19
        if byte(at: 19, is: ".") {
            guard let fraction = number(20..<23) else { return nil }
            millis = fraction
            index = 23
        }
        guard index == bytes.count - 1, byte(at: index, is: "Z") else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        guard Self.civilDate(fromDaysSinceEpoch: days) == (year, month, day) else { return nil }
        self.init(millisecondsSinceEpoch: ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
    }

    // Howard Hinnant's civil-date algorithms (proleptic Gregorian calendar).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(fromDaysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension Int64 {
    fileprivate func floorDividedAndRemainder(by divisor: Int64) -> (Int64, Int64) {
        let quotient = (self >= 0 ? self : self - divisor + 1) / divisor
        return (quotient, self - quotient * divisor)
    }
}

extension Timestamp: Codable {
    /// Decodes the ISO-8601 text form (`2026-11-24T08:30:00.123Z`).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let instant = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a UTC instant YYYY-MM-DDTHH:MM:SS[.mmm]Z"))
        }
        self = instant
    }

    /// Encodes the ISO-8601 text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

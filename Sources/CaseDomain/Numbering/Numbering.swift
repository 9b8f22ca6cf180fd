import Foundation

/// A centre's register of numbers (编号): per centre, per year, per kind, gapless. Each
/// number is one event in the register's own stream, appended atomically with the event
/// that uses it, so a number is never skipped or given twice, whatever runs concurrently.
public enum Numbering {
    /// What a register numbers.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Cases granted aid.
        case `case`
        /// Investigation requests accepted (协查).
        case investigation
    }

    /// The register's stream: `numbering-<kind>-<centre>-<year>`.
    public static func stream(kind: Kind, centre: CentreID, year: Int) -> String {
        "numbering-\(kind.rawValue)-\(centre.rawValue)-\(year)"
    }

    /// The centre whose register `stream` is (the inverse of ``stream(kind:centre:year:)``),
    /// or `nil` if `stream` is not a register.
    public static func centre(ofRegister stream: String) -> CentreID? {
        guard stream.hasPrefix("numbering-") else { return nil }
        let rest = stream.dropFirst("numbering-".count)
        guard let kindEnd = rest.firstIndex(of: "-"), Kind(rawValue: String(rest[..<kindEnd])) != nil,
              let yearStart = rest.lastIndex(of: "-"), yearStart > kindEnd, Int(rest[rest.index(after: yearStart)...]) != nil
        else { return nil }
        return CentreID(rawValue: String(rest[rest.index(after: kindEnd)..<yearStart]))
    }

    /// The year a number belongs to: the calendar year in China at `instant`.
    public static func year(at instant: Timestamp) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar.component(.year, from: Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000))
    }

    /// The `sequence`-th number of the register, e.g. `LICANG-2026-000123` for a case at
    /// `qingdao-licang`, `HUANCUI-XC-2026-000001` for an investigation at `weihai-huancui`.
    public static func number(kind: Kind, centre: CentreID, year: Int, sequence: Int64) -> String {
        let place = centre.rawValue.split(separator: "-", maxSplits: 1).last.map(String.init)?.uppercased() ?? centre.rawValue.uppercased()
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        switch kind {
        case .case: return "\(place)-\(year)-\(padded)"
        case .investigation: return "\(place)-XC-\(year)-\(padded)"
        }
    }

    /// The register's event: which number went to which stream.
    public struct NumberAllotted: Sendable, Hashable, Codable {
        public static let type = "NumberAllotted"
        /// Numbers are not personal data: the register stays at its first schema version.
        public static let schemaVersion = 1
        public var number: String
        /// The case or investigation stream the number was given to.
        public var stream: String

        public init(number: String, stream: String) {
            self.number = number
            self.stream = stream
        }
    }
}

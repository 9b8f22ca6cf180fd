import CaseDomain
import Foundation

/// The node's clock: the system clock, or — in dev and tests only — a fixed or shifted one,
/// so that deadlines can be demonstrated (`--clock offset:8d` makes a 7-day item overdue).
public struct NodeClock: Sendable, Hashable, CustomStringConvertible {
    /// How the clock tells time.
    public enum Mode: Sendable, Hashable {
        case system
        case fixed(Timestamp)
        case offset(milliseconds: Int64)
    }

    public let mode: Mode

    public init(_ mode: Mode) {
        self.mode = mode
    }

    /// The real clock.
    public static let system = NodeClock(.system)

    /// Parses `system`, `fixed:<ISO-8601>` or `offset:<n>(d|h|m|s|ms)` (`-` allowed).
    public init(parsing text: String) throws(ClockError) {
        if text == "system" {
            self.init(.system)
        } else if text.hasPrefix("fixed:") {
            let instant = String(text.dropFirst("fixed:".count))
            guard let timestamp = Timestamp(iso8601: instant) else { throw .invalid(text, "expected fixed:YYYY-MM-DDTHH:MM:SS[.mmm]Z") }
            self.init(.fixed(timestamp))
        } else if text.hasPrefix("offset:") {
            let spec = String(text.dropFirst("offset:".count))
            let units: [(String, Int64)] = [("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
            guard let (suffix, scale) = units.first(where: { spec.hasSuffix($0.0) }),
                  let amount = Int64(spec.dropLast(suffix.count))
            else { throw .invalid(text, "expected offset:<integer>(d|h|m|s|ms), e.g. offset:8d") }
            let (shift, overflow) = amount.multipliedReportingOverflow(by: scale)
            guard !overflow, shift.magnitude <= 100 * 365 * 86_400_000 else { throw .invalid(text, "an offset of at most 100 years") }
            self.init(.offset(milliseconds: shift))
        } else {
            throw .invalid(text, "expected system, fixed:<ISO-8601> or offset:<duration>")
        }
    }

    /// The current instant by this clock.
    public func now() -> Timestamp {
        switch mode {
        case .system: Timestamp(Date())
        case .fixed(let instant): instant
        case .offset(let shift): Timestamp(Date()).adding(milliseconds: shift)
        }
    }

    public var description: String {
        switch mode {
        case .system: "system"
        case .fixed(let instant): "fixed:\(instant)"
        case .offset(let shift): "offset:\(shift)ms"
        }
    }
}

/// A `--clock` value that cannot be used.
public enum ClockError: Error, Equatable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let text, let hint): "invalid clock '\(text)': \(hint)"
        }
    }
}

extension Timestamp {
    /// The instant of `date`, truncated to milliseconds.
    public init(_ date: Date) {
        let millis = (date.timeIntervalSince1970 * 1000).rounded(.down)
        self.init(millisecondsSinceEpoch: millis.isNaN ? 0 : Int64(min(max(millis, -1e15), 1e15)))
    }

    /// The instant as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)
    }
}

extension UUID {
    /// A version 7 UUID: the instant's milliseconds in the first 48 bits, then random bits,
    /// so ids sort roughly by creation time.
    public static func version7(at instant: Timestamp) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        for index in 6..<16 {
            let word = index < 14 ? random.0 : random.1
            bytes[index] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
        }
        let millis = UInt64(bitPattern: instant.millisecondsSinceEpoch)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

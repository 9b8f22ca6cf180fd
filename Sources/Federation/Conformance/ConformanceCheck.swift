/// One check of the sync contract that a peer must pass before it joins a federation
/// (``ConformanceSuite``); its raw value is the name `tongban conformance` prints.
public enum ConformanceCheck: String, CaseIterable, Sendable {
    /// Unsigned pull, notify and status requests are answered 401.
    case signedRequestsRequired = "signed-requests-required"
    /// A request that claims a member but is signed by another key is answered 401.
    case foreignKeyRefused = "foreign-key-refused"
    /// A request signed for another receiver is answered 401.
    case misaddressedRefused = "misaddressed-refused"
    /// A signed request sent a second time (same timestamp and signature) is answered 401.
    case replayRefused = "replay-refused"
    /// A request whose timestamp lies far in the past is answered 401.
    case staleTimestampRefused = "stale-timestamp-refused"
    /// A full pull from the empty vector serves every origin's events in order, each
    /// origin's `originSeq` contiguous from 1, up to what the peer's vector claims of its own.
    case originOrder = "origin-order"
    /// A pull from a vector serves each origin from the vector's value + 1.
    case vectorResumes = "vector-resumes"
    /// A pull with the peer's own vector serves nothing and `more: false`.
    case currentVectorEmpty = "current-vector-empty"
    /// A pull with `limit` 1 or 2 serves at most that many events, at least one when the peer
    /// holds any, and `more: true` when it holds more.
    case limitHonoured = "limit-honoured"
    /// Every served event's hash is SHA-256 of its envelope, its origin's key signed it, and
    /// it chains (`prevHash`) to its origin's previous event.
    case eventsVerify = "events-verify"
    /// A full pull serves every other origin's events up to what the peer's vector claims.
    case relaysThirdOrigins = "relays-third-origins"
    /// The checkpoints served are signed by their origins, their cosignatures by their
    /// witnesses, and agree with the events served; a peer with events of its own sends one
    /// of its own chain.
    case checkpointsVerify = "checkpoints-verify"
}

/// What one check found: passed or not, and why, in one line.
public struct ConformanceResult: Sendable, Equatable {
    public let check: ConformanceCheck
    public let passed: Bool
    /// One line: what was asked and what the peer answered.
    public let reason: String

    public init(_ check: ConformanceCheck, passed: Bool, _ reason: String) {
        self.check = check
        self.passed = passed
        self.reason = Self.oneLine(reason)
    }

    /// A pass of `check` because of `reason`.
    public static func pass(_ check: ConformanceCheck, _ reason: String) -> ConformanceResult {
        ConformanceResult(check, passed: true, reason)
    }

    /// A failure of `check` because of `reason`.
    public static func fail(_ check: ConformanceCheck, _ reason: String) -> ConformanceResult {
        ConformanceResult(check, passed: false, reason)
    }

    /// `PASS <check>: <reason>` or `FAIL <check>: <reason>`.
    public var line: String { "\(passed ? "PASS" : "FAIL") \(check.rawValue): \(reason)" }

    /// `text` on one line of at most 400 characters (a peer's answer may hold anything).
    static func oneLine(_ text: String) -> String {
        let flat = String(text.unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || scalar == "\u{2028}" || scalar == "\u{2029}" ? " " : Character(scalar)
        })
        return flat.count <= 400 ? flat : String(flat.prefix(399)) + "…"
    }
}

/// Every check's result, in the order they ran.
public struct ConformanceReport: Sendable {
    public let results: [ConformanceResult]

    /// Whether every check passed.
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The result of `check`.
    public subscript(_ check: ConformanceCheck) -> ConformanceResult? { results.first { $0.check == check } }

    /// One line per check, then `conformance: N of M checks passed`.
    public var lines: [String] {
        results.map(\.line) + ["conformance: \(results.filter(\.passed).count) of \(results.count) checks passed"]
    }
}

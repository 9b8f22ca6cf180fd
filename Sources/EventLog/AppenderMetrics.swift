import CoreMetrics

/// What the appender reports through swift-metrics: requests by kind and outcome, their
/// latency from call to commit, and the events they wrote.
struct AppenderMetrics: Sendable {
    enum Kind: String {
        case append
        case `import`
    }

    /// Every outcome a request can have.
    static let outcomes = ["ok", "conflict", "invalid", "failed", "rejected"]

    private let requests: [String: Counter]
    private let durations: [Kind: CoreMetrics.Timer]
    private let events: [Kind: Counter]
    private let quarantined: Counter

    /// The instruments are made once: a request's hot path only records.
    init(factory: any MetricsFactory) {
        var requests: [String: Counter] = [:]
        for kind in [Kind.append, .import] {
            for outcome in Self.outcomes {
                requests["\(kind.rawValue)/\(outcome)"] = Counter(label: "tongban_append_requests_total",
                                                                    dimensions: [("kind", kind.rawValue), ("outcome", outcome)], factory: factory)
            }
        }
        self.requests = requests
        durations = [.append: Self.timer(.append, factory), .import: Self.timer(.import, factory)]
        events = [.append: Self.counter(.append, factory), .import: Self.counter(.import, factory)]
        quarantined = Counter(label: "tongban_quarantined_imports_total", factory: factory)
    }

    private static func timer(_ kind: Kind, _ factory: any MetricsFactory) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "tongban_append_duration_seconds", dimensions: [("kind", kind.rawValue)], factory: factory)
    }

    private static func counter(_ kind: Kind, _ factory: any MetricsFactory) -> Counter {
        Counter(label: "tongban_appended_events_total", dimensions: [("kind", kind.rawValue)], factory: factory)
    }

    /// One request of `kind` answered `outcome` after `duration`, having written `events`
    /// (and quarantined `quarantined` of them, for imports).
    func record(_ kind: Kind, outcome: String, duration: Duration, events written: Int = 0, quarantined count: Int = 0) {
        requests["\(kind.rawValue)/\(outcome)"]?.increment()
        durations[kind]?.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if written > 0 { events[kind]?.increment(by: written) }
        if count > 0 { quarantined.increment(by: count) }
    }

    static func outcome(of error: AppendError) -> String {
        switch error {
        case .conflict: "conflict"
        case .invalid, .invalidValue: "invalid"
        case .database, .signingKeyUnusable: "failed"
        }
    }

    static func outcome(of error: ImportError) -> String {
        switch error {
        case .database: "failed"
        default: "rejected"
        }
    }
}

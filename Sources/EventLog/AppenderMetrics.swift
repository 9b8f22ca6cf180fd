import CoreMetrics

/// What the appender reports through swift-metrics: requests by kind and outcome, their
/// latency from call to commit, and the events they wrote.
struct AppenderMetrics: Sendable {
    enum Kind: String {
        case append
        case `import`
    }

    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// One request of `kind` answered `outcome` after `duration`, having written `events`
    /// (and quarantined `quarantined` of them, for imports).
    func record(_ kind: Kind, outcome: String, duration: Duration, events: Int = 0, quarantined: Int = 0) {
        Counter(label: "tongban_append_requests_total", dimensions: [("kind", kind.rawValue), ("outcome", outcome)], factory: factory).increment()
        CoreMetrics.Timer(label: "tongban_append_duration_seconds", dimensions: [("kind", kind.rawValue)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if events > 0 {
            Counter(label: "tongban_appended_events_total", dimensions: [("kind", kind.rawValue)], factory: factory).increment(by: events)
        }
        if quarantined > 0 {
            Counter(label: "tongban_quarantined_imports_total", factory: factory).increment(by: quarantined)
        }
    }

    static func outcome(of error: AppendError) -> String {
        switch error {
        case .conflict: "conflict"
        case .invalid: "invalid"
        case .database: "failed"
        }
    }

    static func outcome(of error: ImportError) -> String {
        switch error {
        case .database: "failed"
        default: "rejected"
        }
    }
}

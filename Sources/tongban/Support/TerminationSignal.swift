import Dispatch
import Foundation

private let signalQueue = DispatchQueue(label: "tongban.signals")

/// Returns when the process receives SIGINT (Ctrl-C) or SIGTERM.
func waitForTerminationSignal() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
        }
        let once = ResumeOnce(continuation, keepingAlive: sources)
        for source in sources {
            source.setEventHandler { once.resume() }
            source.resume()
        }
    }
}

/// Resumes a continuation the first time it is asked; later calls do nothing.
private final class ResumeOnce: @unchecked Sendable {
    // Touched only on `signalQueue`, where every signal handler runs.
    private var continuation: CheckedContinuation<Void, Never>?
    private let sources: [any DispatchSourceSignal]

    init(_ continuation: CheckedContinuation<Void, Never>, keepingAlive sources: [any DispatchSourceSignal]) {
        self.continuation = continuation
        self.sources = sources
    }

    func resume() {
        continuation?.resume()
        continuation = nil
        sources.forEach { $0.cancel() }
    }
}

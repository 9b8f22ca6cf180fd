import Foundation

/// A progress line on standard error: rewritten in place on a terminal, printed at most
/// once a second otherwise, so long work shows that it moves.
struct ProgressLine {
    private var lastPrinted = Date.distantPast
    private let isTerminal = isatty(STDERR_FILENO) != 0

    mutating func update(_ text: String) {
        let now = Date()
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else if now.timeIntervalSince(lastPrinted) >= 1 {
            lastPrinted = now
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

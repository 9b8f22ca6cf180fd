import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program a benchmark starts and keeps running beside it — a served node, a load
/// generator — with its output in a file: started with `posix_spawn`, waited for on a
/// thread of its own (never on the concurrency pool), stopped by signal.
struct BenchProcess: Sendable {
    let pid: pid_t
    let arguments: [String]
    /// Where its standard output and error go.
    let outputPath: String
    /// Its exit status (128 + the signal's number when a signal ended it), once it exits.
    let exit: Task<Int32, Never>

    /// Starts `arguments[0]` with the rest as its arguments, standard input from /dev/null
    /// and standard output and error into `outputPath`.
    static func start(_ arguments: [String], outputPath: String) throws -> BenchProcess {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &fileActions, nil, &argv, environ)
        guard spawned == 0 else {
            throw BenchProcessError(message: "could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        let child = pid
        let exit = Task<Int32, Never> {
            await withCheckedContinuation { continuation in
                Thread {
                    var status: Int32 = 0
                    while waitpid(child, &status, 0) == -1, errno == EINTR {}
                    continuation.resume(returning: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
                }.start()
            }
        }
        return BenchProcess(pid: pid, arguments: arguments, outputPath: outputPath, exit: exit)
    }

    /// Sends `signal`; nothing happens once the process has exited and been reaped.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Asks the process to stop with SIGTERM and waits for it; after `grace` it is killed.
    /// Returns its exit status.
    @discardableResult
    func stop(grace: Duration = .seconds(20)) async -> Int32 {
        send(SIGTERM)
        let killer = Task {
            try await Task.sleep(for: grace)
            send(SIGKILL)
        }
        defer { killer.cancel() }
        return await exit.value
    }

    /// Its resident set in MB now (`VmRSS` of /proc/<pid>/status), nil once it has exited.
    func residentMB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }

    /// The last `lines` lines of its output, for an error message.
    func outputTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: outputPath, encoding: .utf8) else { return "(no output at \(outputPath))" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// A benchmark's child process could not be started or failed.
struct BenchProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

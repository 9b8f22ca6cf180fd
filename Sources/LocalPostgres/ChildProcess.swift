import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`, its output in a
/// temporary file. (Foundation's `Process` relies on its own child reaper, which does not
/// always see a child exit inside a test runner.)
enum ChildProcess {
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `arguments[0]` with the rest as its arguments; `captureOutput` false sends
    /// output to /dev/null (for a program that leaves a daemon behind holding it).
    static func run(_ arguments: [String], captureOutput: Bool) throws -> Outcome {
        let outputPath = captureOutput
            ? FileManager.default.temporaryDirectory.appendingPathComponent("tongban-\(UUID().uuidString).out").path
            : "/dev/null"
        defer { if captureOutput { try? FileManager.default.removeItem(atPath: outputPath) } }

        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        // The child starts with no signal blocked and every signal at its default action,
        // whatever this process's threads block or ignore (a program timing itself with
        // SIGALRM, as pgbench's -T does, would otherwise run on past its end).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &fileActions, &attributes, &argv, environ)
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = captureOutput ? ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "") : ""
        return Outcome(status: exitStatus, output: output)
    }
}

import ArgumentParser
import Federation
import Foundation

/// `tongban config reload`: has a served node read its federation file again (SIGHUP to the
/// process `serve --pid-file` named), after checking here that the file reads.
struct ConfigReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Check a federation file, then have the node served with --pid-file reload it (SIGHUP).",
        discussion: """
            The node checks the file again itself (its own entry, key and transport); one it refuses is \
            logged and printed by serve, and the node goes on with the file it has.
            """
    )

    @Option(help: ArgumentHelp("The federation file the node was started with, as it is now.", valueName: "file"))
    var federation: String

    @Option(help: ArgumentHelp("The file serve --pid-file wrote.", valueName: "file"))
    var pidFile: String

    func run() throws {
        let file: FederationFile
        do { file = try FederationFile.load(path: federation) } catch {
            throw ValidationError("\(error): not sent; the node goes on with the file it has")
        }
        let text: String
        do { text = try String(contentsOfFile: pidFile, encoding: .utf8) } catch {
            throw ValidationError("--pid-file \(pidFile): cannot read it (\(error.localizedDescription)); is the node served with --pid-file?")
        }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else {
            throw ValidationError("--pid-file \(pidFile) does not hold a process id")
        }
        guard kill(pid, SIGHUP) == 0 else {
            throw ValidationError("no process \(pid) to signal (--pid-file \(pidFile)): \(String(cString: strerror(errno)))")
        }
        print("sent SIGHUP to \(pid): it reloads \(federation) (\(file.nodes.count) node(s): \(file.nodes.map(\.id.rawValue).joined(separator: ", ")))")
    }
}

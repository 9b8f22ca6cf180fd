import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What one `wrk` run measured: completed requests, how many of them were not answered
/// 2xx, socket errors (connect, read, write, timeout), and the latency quantiles.
struct WrkResult: Sendable {
    var requests: Int
    var seconds: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var non2xx: Int
    var socketErrors: Int
    /// Requests a script wanted to send after its prepared requests ran out.
    var exhausted: Int

    var perSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    var errors: Int { non2xx + socketErrors + exhausted }
}

/// A request `wrk` sends: method, path, headers and body, spelt into its Lua script.
struct WrkRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String?
}

/// Debian's `wrk` (a C load generator: one thread, epoll, keep-alive connections) driven
/// with Lua scripts the benchmark writes: one request repeated, or a list of prepared
/// requests each sent once (or cycled). Every script counts the answers that are not 2xx.
struct Wrk: Sendable {
    let executable: String
    /// Where the scripts and wrk's output go.
    let directory: String
    let connections: Int
    let threads: Int

    /// `wrk` on the PATH, or an error saying how to install it.
    static func locate(directory: String, connections: Int, threads: Int) throws -> Wrk {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/wrk" }
        guard let executable = path.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw BenchProcessError(message: "wrk not found: run scripts/ensure-wrk")
        }
        return Wrk(executable: executable, directory: directory, connections: connections, threads: threads)
    }

    /// Sends `request` over and over for `seconds`.
    func run(_ name: String, baseURL: String, repeating request: WrkRequest, seconds: Double) async throws -> WrkResult {
        var script = "wrk.method = \(Self.lua(request.method))\nwrk.path = \(Self.lua(request.path))\n"
        for (field, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            script += "wrk.headers[\(Self.lua(field))] = \(Self.lua(value))\n"
        }
        if let body = request.body { script += "wrk.body = \(Self.lua(body))\n" }
        return try await run(name, baseURL: baseURL, script: script + Self.counting, seconds: seconds)
    }

    /// Sends each of `requests` once, split among wrk's threads, for `seconds`; with
    /// `cycling` a thread starts its share again when it reaches the end, without it the
    /// thread stops and the requests it still wanted to send are counted as `exhausted`.
    func run(_ name: String, baseURL: String, prepared requests: [WrkRequest], cycling: Bool, seconds: Double) async throws -> WrkResult {
        var script = "local list = {\n"
        for request in requests {
            let headers = request.headers.sorted(by: { $0.key < $1.key }).map { "[\(Self.lua($0.key))] = \(Self.lua($0.value))" }
            script += "{\(Self.lua(request.method)), \(Self.lua(request.path)), {\(headers.joined(separator: ", "))}, \(request.body.map(Self.lua) ?? "nil")},\n"
        }
        script += """
            }
            local prepared = {}
            local position = 1
            function init(args)
              for i = id + 1, #list, \(threads) do
                local r = list[i]
                prepared[#prepared + 1] = wrk.format(r[1], r[2], r[3], r[4])
              end
              list = nil
            end
            function request()
              if position > #prepared then
                \(cycling ? "position = 1" : "exhausted = exhausted + 1\n    wrk.thread:stop()\n    return prepared[#prepared]")
              end
              local r = prepared[position]
              position = position + 1
              return r
            end

            """
        return try await run(name, baseURL: baseURL, script: script + Self.counting, seconds: seconds)
    }

    private func run(_ name: String, baseURL: String, script: String, seconds: Double) async throws -> WrkResult {
        let scriptPath = "\(directory)/\(name).lua"
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let process = try BenchProcess.start(
            [executable, "--threads", String(threads), "--connections", String(connections), "--duration", "\(max(1, Int(seconds.rounded())))s",
             "--timeout", "10s", "--latency", "--script", scriptPath, baseURL],
            outputPath: "\(directory)/\(name).out")
        let status = await withTaskCancellationHandler { await process.exit.value } onCancel: { process.send(SIGKILL) }
        try Task.checkCancellation()
        let output = (try? String(contentsOfFile: process.outputPath, encoding: .utf8)) ?? ""
        guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("wrk-result ") }) else {
            throw BenchProcessError(message: "wrk (\(name)) failed with status \(status):\n\(process.outputTail())")
        }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count == 7 else { throw BenchProcessError(message: "wrk (\(name)) printed an unreadable result: \(line)") }
        return WrkResult(requests: Int(fields[0]), seconds: fields[1] / 1e6, p50Milliseconds: fields[2] / 1000, p99Milliseconds: fields[3] / 1000,
                         non2xx: Int(fields[4]), socketErrors: Int(fields[5]), exhausted: Int(fields[6]))
    }

    /// A Lua string literal of `text`: every byte outside printable ASCII escaped as `\ddd`
    /// (always three digits, so a digit after it is not read as part of it).
    static func lua(_ text: String) -> String {
        var literal = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): literal += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F: literal += String(UnicodeScalar(byte))
            default: literal += String(format: "\\%03d", byte)
            }
        }
        return literal + "\""
    }

    /// The part of every script that numbers the threads, counts answers that are not 2xx
    /// and prints the run's figures in one line for the benchmark to read.
    static let counting = """
        local threads = {}
        function setup(thread)
          thread:set("id", #threads)
          threads[#threads + 1] = thread
        end
        id = 0
        bad = 0
        exhausted = 0
        function response(status, headers, body)
          if status < 200 or status > 299 then bad = bad + 1 end
        end
        function done(summary, latency, requests)
          local bad_total, exhausted_total = 0, 0
          for _, thread in ipairs(threads) do
            bad_total = bad_total + thread:get("bad")
            exhausted_total = exhausted_total + thread:get("exhausted")
          end
          local e = summary.errors
          io.write(string.format("wrk-result %d %d %.0f %.0f %d %d %d\\n", summary.requests, summary.duration,
            latency:percentile(50), latency:percentile(99), bad_total, e.connect + e.read + e.write + e.timeout, exhausted_total))
        end

        """
}

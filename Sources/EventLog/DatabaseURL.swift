import Foundation
import PostgresNIO

/// A libpq-style database URL, checked whole before anything connects:
/// `postgres://user[:password]@host[:port][,host[:port]…]/database[?sslmode=…&target_session_attrs=…]`.
///
/// One host is a node's database as it always was. Several hosts are one database under
/// PostgreSQL's streaming replication — a primary and its standbys, in the order to try
/// them; with `target_session_attrs=read-write` only the host that takes writes is used
/// (``PrimaryLocator``), and `serve` follows the primary when it moves (``followsPrimary``).
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// One server of the URL.
    public struct Host: Sendable, Hashable, CustomStringConvertible {
        /// A DNS name or an IP address (an IPv6 one without its brackets).
        public let name: String
        public let port: Int

        public init(name: String, port: Int) {
            self.name = name
            self.port = port
        }

        public var description: String { name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)" }

        /// Whether the host is this machine's loopback, where TLS is off unless asked for.
        var isLoopback: Bool { ["127.0.0.1", "localhost", "::1"].contains(name) }
    }

    /// Which of the hosts a session may use (libpq's `target_session_attrs`).
    public enum TargetSessionAttributes: String, Sendable {
        /// The first host that accepts a connection.
        case any
        /// The first host whose sessions may write (`transaction_read_only` is off): a primary.
        case readWrite = "read-write"
    }

    /// The servers, in the order they are tried.
    public let hosts: [Host]
    public let targetSessionAttributes: TargetSessionAttributes
    public let user: String
    public let database: String
    private let password: String?
    private let sslMode: String?
    /// The URL with any password masked, for messages.
    public let description: String

    /// The most hosts a URL may list: a primary and a handful of standbys.
    public static let maximumHosts = 8

    public init(_ text: String) throws(DatabaseURLError) {
        func invalid(_ reason: String) -> DatabaseURLError { .invalid(Self.masked(text), reason) }
        guard text.utf8.count <= 4096, !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw invalid("expected postgres://user@host:port/database, without spaces or control characters, under 4 KiB")
        }
        guard let schemeEnd = text.range(of: "://"), ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound]) else {
            throw invalid("expected postgres://user@host:port/database")
        }
        var rest = text[schemeEnd.upperBound...]
        guard !rest.contains("#") else { throw invalid("a fragment (#…) means nothing here") }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw invalid("no database name") }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]
        guard let at = authority.lastIndex(of: "@") else { throw invalid("no user") }
        let userInfo = authority[..<at]
        let (user, password) = try Self.userAndPassword(userInfo, invalid)
        self.user = user
        self.password = password
        self.hosts = try Self.hosts(authority[authority.index(after: at)...], invalid)
        guard let database = path.removingPercentEncoding, !database.isEmpty else { throw invalid("no database name") }
        guard !database.contains("/") else { throw invalid("the database name '\(database)' has a '/'") }
        self.database = database
        let parameters = try Self.parameters(query, invalid)
        self.sslMode = parameters["sslmode"]
        if let sslMode, !["disable", "prefer", "require"].contains(sslMode) {
            throw invalid("sslmode must be disable, prefer or require, not '\(sslMode)'")
        }
        let target = parameters["target_session_attrs"] ?? TargetSessionAttributes.any.rawValue
        guard let attributes = TargetSessionAttributes(rawValue: target) else {
            throw invalid("target_session_attrs must be any or read-write, not '\(target)' (a node writes: it never runs on a standby alone)")
        }
        self.targetSessionAttributes = attributes
        self.description = Self.masked(text)
    }

    /// Whether the node must find which host takes writes and follow it when it moves: the
    /// URL lists several hosts or asks for a read-write session.
    public var followsPrimary: Bool { hosts.count > 1 || targetSessionAttributes == .readWrite }

    /// The client configuration for the first host: a single-host URL's only one. With
    /// several hosts, find the one to use first (``PrimaryLocator``) and take
    /// ``configuration(for:)``.
    public var configuration: PostgresClient.Configuration { configuration(for: hosts[0]) }

    /// The client configuration for `host`, one of ``hosts``: TLS as `sslmode` says (by
    /// default off on loopback, preferred elsewhere), a pool of up to 40 connections.
    public func configuration(for host: Host) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode ?? (host.isLoopback ? "disable" : "prefer") {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host.name, port: host.port, username: user, password: password,
                                                         database: database, tls: tls)
        configuration.options.maximumConnections = 40
        return configuration
    }

    private static func userAndPassword(_ userInfo: Substring, _ invalid: (String) -> DatabaseURLError) throws(DatabaseURLError) -> (String, String?) {
        let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let user = parts[0].removingPercentEncoding, !user.isEmpty else { throw invalid("no user") }
        guard parts.count == 2 else { return (user, nil) }
        guard let password = parts[1].removingPercentEncoding else { throw invalid("the password's percent-encoding is broken") }
        return (user, password)
    }

    private static func hosts(_ list: Substring, _ invalid: (String) -> DatabaseURLError) throws(DatabaseURLError) -> [Host] {
        guard !list.isEmpty else { throw invalid("no host") }
        let entries = list.split(separator: ",", omittingEmptySubsequences: false)
        guard entries.count <= maximumHosts else { throw invalid("\(entries.count) hosts, more than \(maximumHosts)") }
        var hosts: [Host] = []
        for entry in entries {
            let host = try Self.host(entry, invalid)
            guard !hosts.contains(host) else { throw invalid("host \(host) is listed twice") }
            hosts.append(host)
        }
        return hosts
    }

    private static func host(_ entry: Substring, _ invalid: (String) -> DatabaseURLError) throws(DatabaseURLError) -> Host {
        var name: Substring
        var port: Substring?
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { throw invalid("host '\(entry)': an IPv6 address needs its closing ]") }
            name = entry[entry.index(after: entry.startIndex)..<close]
            let after = entry[entry.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("host '\(entry)': expected :port after ]") }
                port = after.dropFirst()
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw invalid("host '\(entry)': not an IPv6 address")
            }
        } else {
            let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            name = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard !name.isEmpty else { throw invalid(entry.isEmpty ? "an empty host in the list" : "host '\(entry)' has no name") }
            guard name.utf8.count <= 253, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
                throw invalid("host '\(name)': a host name has letters, digits, '.' and '-' only")
            }
        }
        guard let port else { return Host(name: String(name), port: 5432) }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number) else {
            throw invalid("host '\(entry)': the port must be a number from 1 to 65535")
        }
        return Host(name: String(name), port: number)
    }

    /// The query's parameters: each known one at most once, none unknown.
    private static func parameters(_ query: Substring, _ invalid: (String) -> DatabaseURLError) throws(DatabaseURLError) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard ["sslmode", "target_session_attrs"].contains(name) else {
                throw invalid("unknown parameter '\(name)' (known: sslmode, target_session_attrs)")
            }
            guard parameters[name] == nil else { throw invalid("\(name) is given twice") }
            guard parts.count == 2, let value = parts[1].removingPercentEncoding, !value.isEmpty else { throw invalid("\(name) has no value") }
            parameters[name] = value
        }
        return parameters
    }

    /// `text` with the password (between the user's ':' and the last '@' before the path) masked.
    private static func masked(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}

/// A database URL that cannot be used.
public enum DatabaseURLError: Error, Equatable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let url, let reason): "invalid database URL '\(url)': \(reason)"
        }
    }
}

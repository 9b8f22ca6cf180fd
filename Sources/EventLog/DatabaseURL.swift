import Foundation
import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL,
/// turned into PostgresNIO's client configuration.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public let configuration: PostgresClient.Configuration
    /// The URL with any password masked, for messages.
    public let description: String

    public init(_ text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql"
        else { throw .invalid(text, "expected postgres://user@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw .invalid(text, "no host") }
        guard let user = components.user, !user.isEmpty else { throw .invalid(text, "no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw .invalid(text, "no database name") }
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value
            ?? (["127.0.0.1", "localhost", "::1"].contains(host) ? "disable" : "prefer")
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw .invalid(text, "sslmode must be disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user,
            password: components.password, database: database, tls: tls
        )
        configuration.options.maximumConnections = 40
        self.configuration = configuration
        var masked = components
        if masked.password != nil { masked.password = "***" }
        self.description = masked.string ?? text
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

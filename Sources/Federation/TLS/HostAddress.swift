import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A host as a URL or a listen option names it: an IP address literal or a DNS name.
public enum HostAddress: Sendable, Equatable {
    case ip([UInt8])
    case name(String)

    /// `host` read as an IPv4 or IPv6 literal (brackets allowed), else as a lowercased name.
    public init(_ host: String) {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            self = .ip(withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, bare, &v6) == 1 {
            self = .ip(withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            self = .name(bare.lowercased())
        }
    }

    /// Whether only this machine can reach it: 127.0.0.0/8, ::1 or `localhost`.
    public var isLoopback: Bool {
        switch self {
        case .ip(let bytes): bytes.count == 4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
        case .name(let name): name == "localhost"
        }
    }

    /// The host of `url`, if it has one.
    public static func of(url: String) -> HostAddress? {
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return nil }
        return HostAddress(host)
    }
}

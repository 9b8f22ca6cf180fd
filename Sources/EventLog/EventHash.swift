import Crypto
import Foundation

/// SHA-256 of an event's stored canonical envelope: the link of an origin chain.
public struct EventHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    /// The `prevHash` of an origin's first event.
    public static let genesis = EventHash(validatedBytes: [UInt8](repeating: 0, count: 32))

    /// The hash of `envelope`, exactly these bytes.
    public init(of envelope: some DataProtocol) {
        self.bytes = Array(SHA256.hash(data: envelope))
    }

    /// A hash read back from storage or the wire; `nil` unless it is 32 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A hash from its 64 lowercase hex digits; `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = [UInt8](hex: hex), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    private init(validatedBytes: [UInt8]) {
        self.bytes = validatedBytes
    }

    /// Lowercase hex, as in the envelope.
    public var hex: String { bytes.hexString }

    public var description: String { hex }
}

extension Array where Element == UInt8 {
    /// Lowercase hex digits of the bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Bytes from lowercase or uppercase hex; `nil` on an odd length or a non-hex digit.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}

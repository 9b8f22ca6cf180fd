import Hummingbird

extension StaffPages {
    /// The most a page form's body may hold.
    static let maximumFormBytes = 64 * 1024

    /// A form body (at most ``maximumFormBytes``, else a 413 problem; UTF-8 once its percent
    /// escapes are decoded); an incomplete one, or one whose escapes spell invalid UTF-8, is
    /// a 400 problem. (The decoder would keep such an escape as its literal text.)
    static func decode<Form: Decodable>(_: Form.Type, _ request: Request) async throws -> Form {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: maximumFormBytes) } catch {
            throw Problem(.payloadTooLarge, "a form's body is at most \(maximumFormBytes / 1024) KiB")
        }
        guard Self.isUTF8FormEncoding(body.readableBytesView) else { throw Problem(.malformed, "the form is not URL-encoded UTF-8") }
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw Problem(.malformed, "the form is incomplete: \(error)")
        }
    }

    /// Whether a URL-encoded body decodes to valid UTF-8 (every `%` followed by two hex digits).
    static func isUTF8FormEncoding(_ bytes: some Collection<UInt8>) -> Bool {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { decoded.append(byte); continue }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return false }
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self) != nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

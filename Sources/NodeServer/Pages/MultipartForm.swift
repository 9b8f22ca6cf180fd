import Hummingbird
import MultipartKit

/// A `multipart/form-data` body read whole within bounds: its text fields and its files.
/// The body is collected up to ``maximumBytes`` (larger is refused before it is parsed),
/// then parsed with every other bound checked as the parts go by: at most ``maximumParts``
/// parts of at most ``maximumHeadersPerPart`` headers, ``maximumFiles`` files of at most
/// `maximumFileBytes` each, ``maximumFieldBytes`` of text in all. A crafted body so costs
/// at most about twice ``maximumBytes`` (the body and the copies of its files).
struct MultipartForm: Sendable {
    struct File: Sendable {
        /// The file's field name.
        var field: String
        /// The name the browser gave (the file's name on the staff's machine).
        var filename: String
        var contentType: String?
        var content: ByteBuffer
    }

    static let maximumBytes = 32 * 1024 * 1024
    static let maximumFiles = 10
    static let maximumFieldBytes = 64 * 1024
    static let maximumParts = 200
    static let maximumHeadersPerPart = 16

    /// Text fields by name; a repeated name keeps every value in order.
    private(set) var fields: [String: [String]] = [:]
    private(set) var files: [File] = []

    /// The first value of the text field `name`, if sent.
    func field(_ name: String) -> String? { fields[name]?.first }

    /// Reads `request`'s body, refusing (as problems) a body that is not multipart form
    /// data, breaks a bound, or is malformed.
    static func read(_ request: Request, maximumFileBytes: Int) async throws -> MultipartForm {
        guard let type = request.headers[.contentType], let boundary = boundary(of: type) else {
            throw Problem(.unsupportedMediaType, "the form must be sent as multipart/form-data with a boundary")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: maximumBytes) } catch {
            throw Problem(.payloadTooLarge, "a form with its scans is at most \(maximumBytes / (1024 * 1024)) MiB")
        }
        return try parse(body, boundary: boundary, maximumFileBytes: maximumFileBytes)
    }

    /// Parses a whole body (``read(_:maximumFileBytes:)``'s work, without I/O).
    static func parse(_ body: ByteBuffer, boundary: String, maximumFileBytes: Int) throws -> MultipartForm {
        guard isFramed(body, boundary: boundary) else {
            throw Problem(.malformed, "the form is not whole multipart/form-data: a part's header is not ASCII, or the body ends before its closing boundary")
        }
        var form = MultipartForm()
        var headers: [(String, String)] = []
        var content = ByteBuffer()
        var failure: Problem?
        var parts = 0
        var textBytes = 0
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            guard failure == nil else { return }
            guard headers.count < maximumHeadersPerPart, name.utf8.count <= 100, value.utf8.count <= 1000 else {
                failure = Problem(.malformed, "a part of the form has more or longer headers than a browser sends")
                return
            }
            headers.append((name.lowercased(), value))
        }
        parser.onBody = { chunk in
            guard failure == nil else { return }
            if content.readableBytes + chunk.readableBytes > maximumFileBytes {
                failure = Problem(.payloadTooLarge, "a scan is at most \(maximumFileBytes / (1024 * 1024)) MiB")
                return
            }
            content.writeBuffer(&chunk)
        }
        parser.onPartComplete = {
            defer { headers = []; content = ByteBuffer() }
            guard failure == nil else { return }
            parts += 1
            guard parts <= maximumParts else { failure = Problem(.payloadTooLarge, "a form has at most \(maximumParts) parts"); return }
            let disposition = headers.first { $0.0 == "content-disposition" }.map { parameters(of: $0.1) } ?? [:]
            guard let name = disposition["name"], !name.isEmpty, name.utf8.count <= 100 else {
                failure = Problem(.malformed, "every part of the form needs a name")
                return
            }
            if let filename = disposition["filename"] {
                // A file input left empty still sends a part with an empty file name.
                guard !filename.isEmpty || content.readableBytes > 0 else { return }
                guard form.files.count < maximumFiles else { failure = Problem(.payloadTooLarge, "at most \(maximumFiles) scans in one form"); return }
                let type = headers.first { $0.0 == "content-type" }?.1
                form.files.append(File(field: name, filename: String(filename.prefix(400)), contentType: type, content: content))
            } else {
                textBytes += content.readableBytes
                guard textBytes <= maximumFieldBytes else { failure = Problem(.payloadTooLarge, "the form's text is at most 64 KiB"); return }
                guard let text = String(validating: content.readableBytesView, as: UTF8.self) else {
                    failure = Problem(.malformed, "the field '\(name)' is not UTF-8 text")
                    return
                }
                form.fields[name, default: []].append(text)
            }
        }
        do { try parser.execute(body) } catch {
            throw failure ?? Problem(.malformed, "the form is not valid multipart/form-data")
        }
        if let failure { throw failure }
        return form
    }

    /// Whether `body` is framed as a whole form before the parser sees it: every part's
    /// header names are ASCII (MultipartKit 4.7 traps on a header-name byte of 0x80 or more)
    /// and the body reaches its closing delimiter (the parser takes a body cut short as the
    /// parts it completed). Values stay free to hold UTF-8, such as a Chinese file name.
    static func isFramed(_ body: ByteBuffer, boundary: String) -> Bool {
        let delimiter = Array("--\(boundary)".utf8)
        return body.withUnsafeReadableBytes { bytes -> Bool in
            var index = 0
            var closed = false
            while let found = find(delimiter, in: bytes, from: index) {
                var cursor = found + delimiter.count
                if cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: "-"), bytes[cursor + 1] == UInt8(ascii: "-") {
                    closed = true
                    break
                }
                // Skip the rest of the delimiter line, then check each header line up to the blank one.
                while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\n") { cursor += 1 }
                cursor += 1
                while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\r"), bytes[cursor] != UInt8(ascii: "\n") {
                    var inName = true
                    while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\n") {
                        if bytes[cursor] == UInt8(ascii: ":") { inName = false }
                        if inName, bytes[cursor] >= 0x80 { return false }
                        cursor += 1
                    }
                    cursor += 1
                }
                index = cursor
            }
            return closed
        }
    }

    /// The first index at or after `start` where `pattern` begins in `bytes`.
    private static func find(_ pattern: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = pattern.first, pattern.count <= bytes.count else { return nil }
        var index = start
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first, pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) { return index }
            index += 1
        }
        return nil
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    static func boundary(of contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        let boundary = parameters(of: contentType)["boundary"]
        guard let boundary, (1...70).contains(boundary.utf8.count) else { return nil }
        return boundary
    }

    /// A header's `key=value` / `key="value"` parameters, keys lowercased.
    private static func parameters(of header: String) -> [String: String] {
        var result: [String: String] = [:]
        for piece in header.split(separator: ";").dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if result[key] == nil { result[key] = value }
        }
        return result
    }
}

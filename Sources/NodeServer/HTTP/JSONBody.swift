import CaseDomain
import Casework
import Foundation
import Hummingbird

/// The most a JSON command body may hold: several times the largest event
/// (``EventValueRules/defaultMaximumEventBytes``), far less than a scan.
let maximumJSONBodyBytes = 256 * 1024

extension Request {
    /// The JSON body as `Value`: a body over ``maximumJSONBodyBytes`` is a 413, one that
    /// is not UTF-8 (UTF-16 or UTF-32, with or without a byte-order mark, or a declared
    /// charset other than UTF-8) a 415, unparseable JSON a 400, a missing or mistyped field
    /// a 422 naming the field by its path (`applicant.idNumber`, `documents[0].sha256`).
    /// The values themselves are judged by the event rules when the command's events are
    /// appended (``EventValueRules``), wherever the command came from.
    func decodeJSON<Value: Decodable>(as _: Value.Type, context: NodeRequestContext) async throws -> Value {
        if let type = headers[.contentType] {
            let parts = type.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "application/json" || parts.first?.hasSuffix("+json") == true else {
                throw Problem(.unsupportedMediaType, "the body must be application/json, not \(type.prefix(100))")
            }
            if let charset = parts.dropFirst().first(where: { $0.hasPrefix("charset=") }), !["charset=utf-8", "charset=\"utf-8\""].contains(charset) {
                throw Problem(.unsupportedMediaType, "JSON bodies are UTF-8 only, not \(charset.dropFirst("charset=".count).prefix(40))")
            }
        }
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: maximumJSONBodyBytes) } catch {
            throw Problem(.payloadTooLarge, "a JSON body holds at most \(maximumJSONBodyBytes) bytes")
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        // JSON in UTF-8 never holds a raw 0x00 byte (control characters must be escaped);
        // UTF-16 and UTF-32 hold one in every ASCII character. Foundation would decode those.
        guard !data.contains(0), !data.starts(with: [0xEF, 0xBB, 0xBF]), !data.starts(with: [0xFE, 0xFF]), !data.starts(with: [0xFF, 0xFE]) else {
            throw Problem(.unsupportedMediaType, "JSON bodies are UTF-8 only, without a byte-order mark")
        }
        guard String(validating: data, as: UTF8.self) != nil else { throw Problem(.malformed, "the body is not valid UTF-8") }
        // Parsed once by the bounded parser every value of the log goes through: it refuses
        // what Foundation would take silently, such as a member named twice (which one counts?).
        do { _ = try CanonicalJSON.decode(data) } catch {
            throw Problem(.malformed, "the body is not valid JSON: \(error)")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            throw Problem(error)
        }
    }
}

extension Problem {
    /// A decoding failure as the field it concerns.
    init(_ error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { path, key in
                if let index = key.intValue { return path + "[\(index)]" }
                return path.isEmpty ? key.stringValue : path + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            self = .invalid(path(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            self = .invalid(path(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            self = .invalid(path(context.codingPath), "expected \(Self.jsonName(of: type))")
        case .dataCorrupted(let context):
            self = .invalid(path(context.codingPath), context.debugDescription)
        @unknown default:
            self.init(.malformed, "the body could not be read")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// A JSON response, its keys sorted, absent optionals as explicit `null` (clients read
/// `"number": null` rather than a missing key).
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status
    var value: Value

    init(_ value: Value) {
        self.init(.ok, value)
    }

    init(_ status: HTTPResponse.Status, _ value: Value) {
        self.status = status
        self.value = value
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let bytes = try CanonicalJSON.encode(CanonicalJSON.jsonValue(withNullsOf: value))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

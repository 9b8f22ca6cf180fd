import CaseDomain
import Foundation
import Hummingbird

extension Request {
    /// The JSON body as `Value`: unparseable JSON is a 400, a missing or mistyped field a
    /// 422 naming the field by its path (`applicant.idNumber`, `documents[0].sha256`).
    func decodeJSON<Value: Decodable>(as _: Value.Type, context: NodeRequestContext) async throws -> Value {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw Problem(.malformed, "the body is not valid JSON")
        }
        // PostgreSQL's text and jsonb cannot hold U+0000; no field of a case needs it.
        guard data.range(of: Data(#"\u0000"#.utf8)) == nil else {
            throw Problem.invalid("body", "text must not contain the NUL character (\\u0000)")
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
        let bytes = try CanonicalJSON.encode(Self.withNulls(try CanonicalJSON.jsonValue(of: value), value))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `json` (the encoding of `value`) with `null` for each property of a struct in
    /// `value` that is `nil`. Struct properties are the coding keys of the views.
    static func withNulls(_ json: JSONValue, _ value: Any) -> JSONValue {
        let mirror = Mirror(reflecting: value)
        switch (json, mirror.displayStyle) {
        case (.object(var fields), .struct?):
            for child in mirror.children {
                guard let label = child.label else { continue }
                if let present = fields[label] {
                    fields[label] = withNulls(present, unwrapped(child.value))
                } else if Mirror(reflecting: child.value).displayStyle == .optional {
                    fields[label] = .null
                }
            }
            return .object(fields)
        case (.object(var fields), .dictionary?):
            for child in mirror.children {
                let pair = Mirror(reflecting: child.value).children.map(\.value)
                if pair.count == 2, let key = pair[0] as? String, let present = fields[key] { fields[key] = withNulls(present, pair[1]) }
            }
            return .object(fields)
        case (.array(let items), .collection?):
            return .array(zip(items, mirror.children).map { withNulls($0, $1.value) })
        default:
            return json
        }
    }

    private static func unwrapped(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional, let wrapped = mirror.children.first else { return value }
        return wrapped.value
    }
}

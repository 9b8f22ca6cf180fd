import CaseDomain
import Casework
import EventLog
import Foundation
import Hummingbird

/// An RFC 9457 problem: every error a node answers with. Its `type` is stable
/// (`https://tongban.example/problems/<slug>`); `detail` is for people.
public struct Problem: HTTPResponseError, Hashable {
    /// The stable kinds of problem, named by their `type` slug.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case malformed, validation, unauthorized, forbidden
        case notFound = "not-found"
        case conflict
        case invalidTransition = "invalid-transition"
        case payloadTooLarge = "payload-too-large"
        case unsupportedMediaType = "unsupported-media-type"
        case unavailable
        case internalError = "internal-error"

        var status: HTTPResponse.Status {
            switch self {
            case .malformed: .badRequest
            case .validation: .unprocessableContent
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict, .invalidTransition: .conflict
            case .payloadTooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .unavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        }

        var title: String {
            switch self {
            case .malformed: "Malformed request"
            case .validation: "Invalid field"
            case .unauthorized: "Missing or invalid staff token"
            case .forbidden: "Not allowed for this centre or role"
            case .notFound: "Not found"
            case .conflict: "Version conflict"
            case .invalidTransition: "Not possible in the current state"
            case .payloadTooLarge: "Request body too large"
            case .unsupportedMediaType: "Unsupported media type"
            case .unavailable: "Not ready"
            case .internalError: "Internal error"
            }
        }
    }

    /// One bad field of a request, named by its JSON path (`applicant.idNumber`).
    public struct FieldError: Sendable, Hashable, Codable {
        public var field: String
        public var reason: String
    }

    /// Where problem types live; `type` is this plus the kind's slug.
    public static let typeBase = "https://tongban.example/problems/"

    public var kind: Kind
    public var detail: String
    public var errors: [FieldError]
    /// For conflicts: the stream's current version, so the caller can re-read and retry.
    public var currentVersion: Int64?

    public init(_ kind: Kind, _ detail: String, errors: [FieldError] = [], currentVersion: Int64? = nil) {
        self.kind = kind
        self.detail = detail
        self.errors = errors
        self.currentVersion = currentVersion
    }

    public var status: HTTPResponse.Status { kind.status }

    /// One field is wrong.
    public static func invalid(_ field: String, _ reason: String) -> Problem {
        Problem(.validation, "\(field): \(reason)", errors: [FieldError(field: field, reason: reason)])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONValue] = [
            "type": .string(Self.typeBase + kind.rawValue),
            "title": .string(kind.title),
            "status": .integer(Int64(status.code)),
            "detail": .string(detail),
            "instance": .string(request.uri.path),
        ]
        if !errors.isEmpty {
            body["errors"] = .array(errors.map { .object(["field": .string($0.field), "reason": .string($0.reason)]) })
        }
        if let currentVersion { body["currentVersion"] = .integer(currentVersion) }
        let bytes = try CanonicalJSON.encode(JSONValue.object(body))
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"tongban\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Problem {
    /// The problem a refused domain command is.
    init(_ error: CommandError) {
        switch error {
        case .invalidTransition: self.init(.invalidTransition, error.description)
        case .forbidden: self.init(.forbidden, error.description)
        case .validation(let field, let reason): self = .invalid(field, reason)
        case .consentMissing(_, let consent): self = .invalid("consent.\(consent)", error.description)
        }
    }

    /// The problem a write is when this node does not hold the key to seal it with yet.
    init(_ missing: SealedBody.MissingKey) {
        self.init(.unavailable, "\(missing): its personal data cannot be sealed until the node that involved this one grants the key; retry shortly")
    }

    /// The problem a refused append is; a conflict tells the stream's current version.
    init(_ error: AppendError) {
        switch error {
        case .conflict(_, let expected, let actual):
            self.init(.conflict, "expectedVersion is \(expected) but the record is at version \(actual): re-read it and retry",
                      currentVersion: actual)
        case .invalid(let reason): self.init(.malformed, reason)
        case .invalidValue(let field, let reason): self = .invalid(field, reason)
        case .database(let message): self.init(.unavailable, "the event store could not be written: \(message)")
        case .signingKeyUnusable(let reason): self.init(.unavailable, "this node cannot sign now: \(reason)")
        }
    }
}

import Casework

extension Problem {
    /// The problem a refusal of the application layer is: where every ``WorkflowError``
    /// becomes an HTTP status and an RFC 9457 body.
    init(_ error: WorkflowError) {
        switch error {
        case .notFound(let detail): self.init(.notFound, detail)
        case .forbidden(let detail): self.init(.forbidden, detail)
        case .conflict(let detail, let currentVersion): self.init(.conflict, detail, currentVersion: currentVersion)
        case .unavailable(let detail): self.init(.unavailable, detail)
        case .invalid(let field, let reason): self = .invalid(field, reason)
        case .unreadable(let detail): self.init(.internalError, detail)
        case .refused(let refusal): self.init(refusal)
        case .notAppended(let refusal): self.init(refusal)
        case .keyMissing(let missing): self.init(missing)
        }
    }

    /// The problem `error` is, if it is a refusal (a ``Problem`` or a ``WorkflowError``);
    /// `nil` for anything else (a failure the caller logs).
    init?(refusal error: any Error) {
        switch error {
        case let problem as Problem: self = problem
        case let refusal as WorkflowError: self.init(refusal)
        default: return nil
        }
    }
}

import CaseDomain
import EventLog

/// Why a command or a read was refused; nothing is written. The one error the application
/// layer throws: the node's API and pages map each case to a problem in one place.
public enum WorkflowError: Error, Sendable, CustomStringConvertible {
    /// No such record here, or none the caller may know of.
    case notFound(String)
    /// The caller's centre or role may not do or read this.
    case forbidden(String)
    /// The record moved on since the caller read it, or was already answered; the record's
    /// version now when it is known.
    case conflict(String, currentVersion: Int64? = nil)
    /// It cannot be done now (a projection behind, a key not yet granted, a peer away): retry.
    case unavailable(String)
    /// A value of the command is malformed.
    case invalid(field: String, reason: String)
    /// The log holds what this node cannot read.
    case unreadable(String)
    /// The domain refused the command.
    case refused(CommandError)
    /// The log refused the append.
    case notAppended(AppendError)
    /// Personal data could not be sealed: the record's key is not yet here.
    case keyMissing(SealedBody.MissingKey)

    public var description: String {
        switch self {
        case .notFound(let detail), .forbidden(let detail), .conflict(let detail, _), .unavailable(let detail), .unreadable(let detail): detail
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .refused(let error): error.description
        case .notAppended(let error): "\(error)"
        case .keyMissing(let missing): "\(missing)"
        }
    }

    /// Whether the record moved on or was answered first: a version conflict of any origin.
    var isConflict: Bool {
        switch self {
        case .conflict: true
        case .notAppended(.conflict): true
        default: false
        }
    }
}

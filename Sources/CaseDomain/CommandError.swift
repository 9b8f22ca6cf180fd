import Foundation

/// Why a command on a case, an investigation or a certificate was refused; nothing is written.
public enum CommandError: Error, Hashable, CustomStringConvertible {
    /// The case's phase does not allow the command.
    case invalidTransition(command: String, phase: String)
    /// The acting centre or role may not give the command.
    case forbidden(command: String, reason: String)
    /// A field of the command is malformed.
    case validation(field: String, reason: String)
    /// The command would share personal data the applicant did not consent to (and gives no
    /// legal-obligation basis): `consent` names the missing one.
    case consentMissing(command: String, consent: String)

    public var description: String {
        switch self {
        case .invalidTransition(let command, let phase): "'\(command)' is not possible in phase \(phase)"
        case .forbidden(let command, let reason): "'\(command)' is not allowed: \(reason)"
        case .validation(let field, let reason): "\(field): \(reason)"
        case .consentMissing(let command, let consent):
            "'\(command)' would share the applicant's personal data without consent.\(consent): record the applicant's consent or give legalBasis"
        }
    }
}

extension CommandError {
    /// Refuses text that is empty or only spaces, naming the field.
    static func requireText(_ text: String, _ field: String) throws(CommandError) {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .validation(field: field, reason: "must not be empty") }
    }
}

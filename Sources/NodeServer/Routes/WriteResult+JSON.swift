import CaseDomain
import Casework

extension WriteResult {
    /// The answer's body, the id under `idKey` (`caseId`, `investigationId`, `certificateId`).
    func json(idKey: String) -> JSONValue {
        var fields: [String: JSONValue] = [idKey: .string(id), "version": .integer(version)]
        if let number { fields["number"] = .string(number) }
        return .object(fields)
    }
}

import CaseDomain
import Foundation

extension FederationFile {
    /// A node's key that leaked, as the federation file marks it: every event of the node
    /// signed with it from `fromSeq` on is quarantined on every node, with `reason`, and a
    /// key change it signs there is not followed.
    public struct CompromisedKey: Sendable, Hashable, Codable {
        /// Base64 of the 32 raw bytes of the Ed25519 public key.
        public var publicKey: String
        /// The first `originSeq` not trusted (the events before were signed while the key was safe).
        public var fromSeq: Int64
        /// Why, for the quarantine reason and the operators.
        public var reason: String

        public init(publicKey: String, fromSeq: Int64, reason: String) {
            self.publicKey = publicKey
            self.fromSeq = fromSeq
            self.reason = reason
        }

        func validate(source: String, field: String) throws(FederationFileError) {
            guard FederationFile.publicKey(publicKey) != nil else {
                throw .invalid(source: source, field: "\(field).publicKey", reason: "not base64 of a 32-byte Ed25519 public key")
            }
            guard (1...SyncMessages.maximumSequence).contains(fromSeq) else {
                throw .invalid(source: source, field: "\(field).fromSeq", reason: "\(fromSeq) is not an originSeq from 1 to \(SyncMessages.maximumSequence)")
            }
            if let violation = TextRule.short.violation(of: reason) {
                throw .invalid(source: source, field: "\(field).reason", reason: violation)
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalid(source: source, field: "\(field).reason", reason: "must say why")
            }
        }
    }
}

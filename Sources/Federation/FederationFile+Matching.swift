import CaseDomain
import Crypto
import EventLog
import Foundation

extension FederationFile {
    /// The blind index `signingKey`'s node matches records of one person by: under the
    /// file's `matchingKey`, the same on every node; when the file has none, under a key
    /// derived from the node's signing key (``BlindIndex/local(signingKey:)``), so that
    /// matching works within this node only and a certificate issued elsewhere is not
    /// recognised here (`tongban config check` warns of it).
    public func blindIndex(signingKey: NodeSigningKey) -> BlindIndex {
        guard let text = matchingKey, let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            return .local(signingKey: signingKey.privateKey)
        }
        return BlindIndex(key: SymmetricKey(data: bytes))
    }
}

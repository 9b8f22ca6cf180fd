import CaseDomain
import EventLog
import Foundation

/// The stable text form of checkpoints that `tongban checkpoint export` prints and
/// `tongban verify --checkpoints` reads: a header line, then per checkpoint a `checkpoint`
/// line and one `cosignature` line per witness, sorted, fields separated by one space:
///
///     tongban checkpoints v1
///     checkpoint <origin> <seq> <hash hex> <signed at, UTC> <signature base64>
///     cosignature <origin> <seq> <hash hex> <witness> <signature base64>
///
/// Lines starting with `#` and blank lines are ignored.
public enum CheckpointText {
    public static let header = "tongban checkpoints v1"
    /// A file of more checkpoints than this is refused before it is read further.
    public static let maximumLines = 100_000

    /// `checkpoints` in the text form, sorted by origin, sequence and hash; witnesses sorted.
    public static func format(_ checkpoints: [SignedCheckpoint]) -> String {
        var lines = [header]
        for checkpoint in checkpoints.sorted(by: { ($0.origin.rawValue, $0.seq, $0.hash.hex) < ($1.origin.rawValue, $1.seq, $1.hash.hex) }) {
            let subject = "\(checkpoint.origin) \(checkpoint.seq) \(checkpoint.hash.hex)"
            lines.append("checkpoint \(subject) \(checkpoint.signedAt) \(Data(checkpoint.signature).base64EncodedString())")
            for (witness, signature) in checkpoint.cosignatures.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                lines.append("cosignature \(subject) \(witness) \(Data(signature).base64EncodedString())")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The checkpoints of `text`; an error names the line and what is wrong with it.
    public static func parse(_ text: String) throws(CheckpointTextError) -> [SignedCheckpoint] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count <= maximumLines else { throw .init(line: maximumLines + 1, reason: "more than \(maximumLines) lines") }
        guard lines.first.map({ $0.trimmingCharacters(in: .whitespaces) == header }) == true else {
            throw .init(line: 1, reason: "the first line must be '\(header)'")
        }
        var checkpoints: [SignedCheckpoint] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let number = offset + 1
            let fields = line.split(separator: " ").map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            var wire: SyncMessages.WireCheckpoint
            switch (fields[0], fields.count) {
            case ("checkpoint", 6):
                wire = .init(origin: fields[1], seq: fields[2], hash: fields[3], signedAt: fields[4], signature: fields[5], cosignatures: nil)
            case ("cosignature", 6):
                guard let last = checkpoints.last, "\(last.origin) \(last.seq) \(last.hash.hex)" == fields[1...3].joined(separator: " ") else {
                    throw .init(line: number, reason: "a cosignature must follow the checkpoint it names")
                }
                wire = SyncMessages.WireCheckpoint(last)
                wire.cosignatures = [fields[4]: fields[5]]
            default:
                throw .init(line: number, reason: "expected 'checkpoint <origin> <seq> <hash> <signed at> <signature>' or 'cosignature <origin> <seq> <hash> <witness> <signature>'")
            }
            let parsed: SignedCheckpoint
            do { parsed = try wire.checkpoint() } catch { throw .init(line: number, reason: "\(error)") }
            if fields[0] == "checkpoint" {
                checkpoints.append(parsed)
            } else {
                checkpoints[checkpoints.count - 1].cosignatures.merge(parsed.cosignatures) { $1 }
            }
        }
        return checkpoints
    }
}

/// Why a checkpoint file cannot be read: the line and what is wrong.
public struct CheckpointTextError: Error, CustomStringConvertible, Equatable {
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}

extension SyncMessages.WireCheckpoint {
    /// A checkpoint's fields as text, `seq` still unparsed (a non-number is refused as out of range).
    init(origin: String, seq: String, hash: String, signedAt: String, signature: String, cosignatures: [String: String]?) {
        self.origin = origin
        self.seq = Int64(seq) ?? -1
        self.hash = hash
        self.signedAt = signedAt
        self.signature = signature
        self.cosignatures = cosignatures
    }
}

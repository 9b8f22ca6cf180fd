import CaseDomain
import Crypto
import EventLog
import Foundation

/// The federation file: the nodes, their centres and keys, the same on every node.
///
/// Loading validates it and fails with an error that names the field (`nodes[2].publicKey`).
public struct FederationFile: Sendable, Hashable {
    /// One city's node.
    public struct Node: Sendable, Hashable, Codable {
        public var id: NodeID
        public var name: String
        /// Where its HTTP API listens, e.g. `http://127.0.0.1:8401`.
        public var url: String
        /// Base64 of the 32 raw bytes of its Ed25519 public key; `nil` only in a template.
        public var publicKey: String?
        /// Base64 of the 32 raw bytes of its X25519 public key, which record keys are sealed
        /// for (``NodeEncryptionKey``); `nil` only in a template: no case can then involve it.
        public var encryptionKey: String?
        public var centres: [Centre]
        /// The city's own standards and deadlines.
        public var policy: CityPolicy
        /// Keys of this node that leaked: events it signed from a sequence on are quarantined.
        public var compromisedKeys: [CompromisedKey]?
        /// The nodes it syncs with (its province's hub and neighbours, say); `nil`: every other
        /// node. The relation is symmetric: a node that lists this one is its peer too
        /// (``syncPeers(of:)``).
        public var peers: [NodeID]?

        public init(id: NodeID, name: String, url: String, publicKey: String?, encryptionKey: String? = nil, centres: [Centre], policy: CityPolicy,
                    peers: [NodeID]? = nil) {
            self.peers = peers
            self.id = id
            self.name = name
            self.url = url
            self.publicKey = publicKey
            self.encryptionKey = encryptionKey
            self.centres = centres
            self.policy = policy
        }
    }

    /// A body outside the nodes that receives every record key, sealed for it: the
    /// provincial justice department's oversight, say.
    public struct Auditor: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        /// Base64 of the 32 raw bytes of its X25519 public key.
        public var encryptionKey: String

        public init(id: String, name: String, encryptionKey: String) {
            self.id = id
            self.name = name
            self.encryptionKey = encryptionKey
        }
    }

    /// A legal-aid centre of a node.
    public struct Centre: Sendable, Hashable, Codable {
        public var id: CentreID
        public var name: String
        /// `city`, `district` or `county`.
        public var level: String

        public init(id: CentreID, name: String, level: String) {
            self.id = id
            self.name = name
            self.level = level
        }
    }

    /// Limits every node keeps alike, so that what one node writes every other imports.
    public struct Limits: Sendable, Hashable, Codable {
        /// The largest event, in bytes of its canonical envelope.
        public var maxEventBytes: Int

        public init(maxEventBytes: Int = EventValueRules.defaultMaximumEventBytes) {
            self.maxEventBytes = maxEventBytes
        }

        /// Events may be at most 1 MiB: a sync page (``SyncMessages/maximumPageBytes``) holds several.
        static let eventBytesRange = 4096...(1 << 20)
    }

    public var name: String
    public var nodes: [Node]
    /// The shared limits; the defaults when the file names none.
    public var limits: Limits
    /// Who receives every record key besides the nodes of a case.
    public var auditors: [Auditor]
    /// Base64 of the federation-wide 32-byte key of the blind indexes that match records
    /// of one person without their ID number (``BlindIndex``); `nil` in a template.
    public var matchingKey: String?
    /// The venues and the centres a matter at each belongs to; empty when the file lists none.
    public var directory: JurisdictionDirectory

    /// A federation in memory; ``load(path:requirePublicKeys:)`` is how a file is read and validated.
    public init(name: String, nodes: [Node], limits: Limits = Limits(), auditors: [Auditor] = [], matchingKey: String? = nil,
                directory: JurisdictionDirectory = JurisdictionDirectory()) {
        self.directory = directory
        self.name = name
        self.nodes = nodes
        self.limits = limits
        self.auditors = auditors
        self.matchingKey = matchingKey
    }

    /// The nodes' encryption public keys, by node.
    public var encryptionKeys: [NodeID: Curve25519.KeyAgreement.PublicKey] {
        var keys: [NodeID: Curve25519.KeyAgreement.PublicKey] = [:]
        for node in nodes {
            if let text = node.encryptionKey, let key = Self.encryptionKey(text) { keys[node.id] = key }
        }
        return keys
    }

    /// The value rules every node of the federation judges events by.
    public var valueRules: EventValueRules {
        EventValueRules(maximumEventBytes: limits.maxEventBytes)
    }

    /// Reads and validates a federation file. With `requirePublicKeys` false a template
    /// whose nodes have no keys yet is accepted (what `tongban dev` fills in).
    public static func load(path: String, requirePublicKeys: Bool = true) throws(FederationFileError) -> FederationFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, source: path, requirePublicKeys: requirePublicKeys)
    }

    /// Validates a federation file's bytes; `source` names it in errors.
    public static func decode(_ data: Data, source: String, requirePublicKeys: Bool = true) throws(FederationFileError) -> FederationFile {
        struct Document: Codable {
            var name: String
            var nodes: [Node]
            var limits: Limits?
            var auditors: [Auditor]?
            var matchingKey: String?
            var directory: [JurisdictionDirectory.Venue]?
        }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw .invalid(source: source, field: Self.path(of: error), reason: Self.reason(of: error))
        }
        let file = FederationFile(name: document.name, nodes: document.nodes, limits: document.limits ?? Limits(),
                                  auditors: document.auditors ?? [], matchingKey: document.matchingKey,
                                  directory: JurisdictionDirectory(venues: document.directory ?? []))
        try file.validate(source: source, requirePublicKeys: requirePublicKeys)
        return file
    }

    /// The file as pretty JSON, as written for a dev federation.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        struct Document: Encodable {
            var name: String; var nodes: [Node]; var limits: Limits; var auditors: [Auditor]; var matchingKey: String?
            var directory: [JurisdictionDirectory.Venue]?
        }
        return try encoder.encode(Document(name: name, nodes: nodes, limits: limits, auditors: auditors, matchingKey: matchingKey,
                                           directory: directory.venues.isEmpty ? nil : directory.venues))
    }

    /// The nodes' public keys, for verifying signatures.
    public var keyring: OriginKeyring {
        var keyring = OriginKeyring()
        for node in nodes {
            if let text = node.publicKey, let key = Self.publicKey(text) { keyring[node.id] = key }
            for marked in node.compromisedKeys ?? [] {
                if let key = Self.publicKey(marked.publicKey) { keyring.markCompromised(node.id, key: key, fromSeq: marked.fromSeq, reason: marked.reason) }
            }
        }
        return keyring
    }

    /// Every city's policy, by city: what the domain decides with.
    public var policies: [NodeID: CityPolicy] {
        Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.policy) })
    }

    private func validate(source: String, requirePublicKeys: Bool) throws(FederationFileError) {
        guard !nodes.isEmpty else { throw .invalid(source: source, field: "nodes", reason: "lists no node") }
        guard Limits.eventBytesRange.contains(limits.maxEventBytes) else {
            throw .invalid(source: source, field: "limits.maxEventBytes", reason: "\(limits.maxEventBytes) is not between \(Limits.eventBytesRange.lowerBound) and \(Limits.eventBytesRange.upperBound) bytes")
        }
        try validateKeys(source: source)
        var seenNodes: Set<NodeID> = []
        var seenCentres: Set<CentreID> = []
        for (index, node) in nodes.enumerated() {
            let field = "nodes[\(index)]"
            guard seenNodes.insert(node.id).inserted else { throw .invalid(source: source, field: "\(field).id", reason: "node '\(node.id)' is listed twice") }
            guard let url = URL(string: node.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalid(source: source, field: "\(field).url", reason: "'\(node.url)' is not an http(s) URL")
            }
            switch node.publicKey {
            case let text?:
                guard Self.publicKey(text) != nil else {
                    throw .invalid(source: source, field: "\(field).publicKey", reason: "not base64 of a 32-byte Ed25519 public key")
                }
            case nil where requirePublicKeys:
                throw .invalid(source: source, field: "\(field).publicKey", reason: "missing (tongban keys generate prints it)")
            case nil:
                break
            }
            if let text = node.encryptionKey, Self.encryptionKey(text) == nil {
                throw .invalid(source: source, field: "\(field).encryptionKey", reason: "not base64 of a 32-byte X25519 public key")
            }
            try node.policy.validate(source: source, field: "\(field).policy")
            for (markIndex, marked) in (node.compromisedKeys ?? []).enumerated() {
                try marked.validate(source: source, field: "\(field).compromisedKeys[\(markIndex)]")
            }
            try validatePeers(of: index, source: source)
            guard !node.centres.isEmpty else { throw .invalid(source: source, field: "\(field).centres", reason: "node '\(node.id)' has no centre") }
            for (centreIndex, centre) in node.centres.enumerated() {
                let centreField = "\(field).centres[\(centreIndex)]"
                guard centre.id.node == node.id else {
                    throw .invalid(source: source, field: "\(centreField).id", reason: "centre '\(centre.id)' must start with its node's id '\(node.id)-'")
                }
                guard seenCentres.insert(centre.id).inserted else {
                    throw .invalid(source: source, field: "\(centreField).id", reason: "centre '\(centre.id)' is listed twice")
                }
                guard ["city", "district", "county"].contains(centre.level) else {
                    throw .invalid(source: source, field: "\(centreField).level", reason: "'\(centre.level)' is not city, district or county")
                }
            }
        }
        try validateConnected(source: source)
        try directory.validate(centres: seenCentres, source: source)
    }

    static func encryptionKey(_ text: String) -> Curve25519.KeyAgreement.PublicKey? {
        Data(base64Encoded: text).flatMap { try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: $0) }
    }

    static func publicKey(_ text: String) -> Curve25519.Signing.PublicKey? {
        Data(base64Encoded: text).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    private func validateKeys(source: String) throws(FederationFileError) {
        for (index, auditor) in auditors.enumerated() where Self.encryptionKey(auditor.encryptionKey) == nil {
            throw .invalid(source: source, field: "auditors[\(index)].encryptionKey", reason: "not base64 of a 32-byte X25519 public key")
        }
        if let matchingKey, Data(base64Encoded: matchingKey)?.count != 32 {
            throw .invalid(source: source, field: "matchingKey", reason: "not base64 of 32 bytes")
        }
    }

    private static func path(of error: any Error) -> String {
        let context: DecodingError.Context? = switch error as? DecodingError {
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?: context
        case .keyNotFound(let key, let context)?: DecodingError.Context(codingPath: context.codingPath + [key], debugDescription: context.debugDescription)
        default: nil
        }
        guard let path = context?.codingPath, !path.isEmpty else { return "(document)" }
        return path.reduce("") { result, key in
            if let index = key.intValue { return result + "[\(index)]" }
            return result.isEmpty ? key.stringValue : result + "." + key.stringValue
        }
    }

    private static func reason(of error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound?: "missing"
        case .typeMismatch(let type, _)?: "expected \(type)"
        case .valueNotFound(let type, _)?: "expected \(type), found null"
        case .dataCorrupted(let context)?: context.debugDescription
        default: String(describing: error)
        }
    }
}

/// A federation file that cannot be used.
public enum FederationFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(source: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read federation file \(path): \(reason)"
        case .invalid(let source, let field, let reason): "\(source): \(field): \(reason)"
        }
    }
}

extension CityPolicy {
    /// Checks what the type cannot: positive threshold, legal day limits, real dates, no negative amounts.
    func validate(source: String, field: String) throws(FederationFileError) {
        func invalid(_ name: String, _ reason: String) -> FederationFileError {
            .invalid(source: source, field: "\(field).\(name)", reason: reason)
        }
        guard hardshipThreshold > 0 else { throw invalid("hardshipThreshold", "must be a positive amount in fen") }
        for (name, days) in [("decisionDays", decisionDays), ("lawyerAssignmentDays", lawyerAssignmentDays), ("materialsDays", materialsDays)] {
            guard (0...60).contains(days) else { throw invalid(name, "\(days) is not between 0 and 60 days") }
        }
        guard decisionDays <= 7, lawyerAssignmentDays <= 3 else {
            throw invalid(decisionDays > 7 ? "decisionDays" : "lawyerAssignmentDays", "may shorten the legal 7 / 3 days, not lengthen them")
        }
        for holiday in holidays.sorted() where Timestamp(iso8601: holiday + "T00:00:00Z") == nil {
            throw invalid("holidays", "'\(holiday)' is not a date YYYY-MM-DD")
        }
        guard defaultSubsidy >= 0, subsidyByCause.values.allSatisfy({ $0 >= 0 }) else { throw invalid("subsidyByCause", "amounts must not be negative") }
        if let retentionDays, !(0...36_500).contains(retentionDays) { throw invalid("retentionDays", "\(retentionDays) is not between 0 and 36500 days") }
        if let transferAnswerDays, !(1...60).contains(transferAnswerDays) {
            throw invalid("transferAnswerDays", "\(transferAnswerDays) is not between 1 and 60 days")
        }
    }
}

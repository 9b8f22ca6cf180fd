import Foundation

/// An economic-hardship certificate (经济困难证明), issued at a node under its city's
/// standard and recognised by the other cities (贫困证明互认). Its own stream.
public enum HardshipCertificate {
    /// What a certificate is at a given moment.
    public enum Status: String, Sendable, Hashable, Codable {
        case unknown, valid, revoked, expired
    }

    /// A certificate as its events have made it.
    public struct State: Sendable, Hashable {
        public internal(set) var version: Int64 = 0
        public internal(set) var issued: Event.Issued?
        public internal(set) var revocationReason: String?

        public init() {}

        public init(replaying events: some Sequence<Event>) {
            self = events.reduce(State(), HardshipCertificate.evolve)
        }

        /// The status at `now`: unknown before issue, revoked, expired after its validity, else valid.
        public func status(at now: Timestamp) -> Status {
            guard let issued else { return .unknown }
            if revocationReason != nil { return .revoked }
            return now > issued.validUntil ? .expired : .valid
        }

        /// Checks that an application may rely on this certificate at `now`; the error says why not.
        public func recognise(at now: Timestamp) throws(CommandError) {
            switch status(at: now) {
            case .valid: return
            case .unknown: throw .validation(field: "hardship.certificateId", reason: "no such certificate")
            case .revoked:
                // A sealed reason reads as empty: only the issuing city holds its key.
                let reason = revocationReason ?? ""
                throw .validation(field: "hardship.certificateId", reason: "the certificate was revoked" + (reason.isEmpty ? "" : ": \(reason)"))
            case .expired: throw .validation(field: "hardship.certificateId", reason: "the certificate expired on \(issued!.validUntil)")
            }
        }
    }

    public enum Command: Sendable, Hashable {
        case issue(holderName: String, idNumber: String, basis: String, standard: String, validUntil: Timestamp)
        case revoke(reason: String)

        public var name: String {
            switch self {
            case .issue: "issue-certificate"
            case .revoke: "revoke-certificate"
            }
        }
    }

    public enum Event: Sendable, Hashable {
        case issued(Issued)
        case revoked(Revoked)

        public struct Issued: Sendable, Hashable, Codable {
            public var issuingCentre: CentreID
            public var holderName: String
            public var idNumber: String
            /// Why the holder qualifies (income below the threshold, social assistance, …).
            public var basis: String
            /// The issuing city's standard it was judged by, e.g. its hardship threshold.
            public var standard: String
            public var validFrom: Timestamp
            public var validUntil: Timestamp
            /// The holder's ID number as a ``BlindIndex``. Set by the issuing node, which
            /// holds the matching key (the domain does not), and kept in plain text when the
            /// holder's details are sealed; `nil` in events written before sealing, whose ID
            /// number and name are plain text.
            public var holderIndex: String? = nil
            /// The holder's ID number and name as a ``BlindIndex``, which a lookup must match
            /// too; set and absent like ``holderIndex``.
            public var holderNameIndex: String? = nil
        }

        public struct Revoked: Sendable, Hashable, Codable {
            public var reason: String
        }

        public var type: String {
            switch self {
            case .issued: "CertificateIssued"
            case .revoked: "CertificateRevoked"
            }
        }

        public func body() throws -> JSONValue {
            switch self {
            case .issued(let body): try CanonicalJSON.jsonValue(of: body)
            case .revoked(let body): try CanonicalJSON.jsonValue(of: body)
            }
        }

        public init?(type: String, body: JSONValue) throws {
            switch type {
            case "CertificateIssued": self = .issued(try CanonicalJSON.decode(Issued.self, from: body))
            case "CertificateRevoked": self = .revoked(try CanonicalJSON.decode(Revoked.self, from: body))
            default: return nil
            }
        }
    }

    /// The events `command` produces, or why it is refused. Only a centre of the issuing
    /// city issues or revokes; recognition elsewhere reads, never re-reviews.
    public static func decide(_ command: Command, on state: State, now: Timestamp, actor: Actor) throws(CommandError) -> [Event] {
        let name = command.name
        guard let centre = actor.centre else { throw .forbidden(command: name, reason: "a centre issues and revokes certificates") }
        switch command {
        case .issue(let holderName, let idNumber, let basis, let standard, let validUntil):
            guard state.issued == nil else { throw .invalidTransition(command: name, phase: "issued") }
            try CommandError.requireText(holderName, "holderName")
            guard idNumber.utf8.count == 18 else { throw .validation(field: "idNumber", reason: "expected 18 characters") }
            guard !basis.isEmpty, !standard.isEmpty else { throw .validation(field: "basis", reason: "basis and standard must be given") }
            guard validUntil > now else { throw .validation(field: "validUntil", reason: "must be in the future") }
            return [.issued(.init(issuingCentre: centre, holderName: holderName, idNumber: idNumber, basis: basis,
                                  standard: standard, validFrom: now, validUntil: validUntil))]
        case .revoke(let reason):
            guard let issued = state.issued else { throw .invalidTransition(command: name, phase: "unknown") }
            guard state.revocationReason == nil else { throw .invalidTransition(command: name, phase: "revoked") }
            guard centre.node == issued.issuingCentre.node else {
                throw .forbidden(command: name, reason: "only a centre of \(issued.issuingCentre.node) may revoke its certificate")
            }
            try CommandError.requireText(reason, "reason")
            return [.revoked(.init(reason: reason))]
        }
    }

    /// The certificate after `event`.
    public static func evolve(_ state: State, _ event: Event) -> State {
        var next = state
        next.version += 1
        switch event {
        case .issued(let issued): next.issued = issued
        case .revoked(let revoked): next.revocationReason = revoked.reason
        }
        return next
    }
}

extension HardshipCertificate.State {
    /// The node that alone may append the certificate's next event (invariant 5): the
    /// issuing city's. `nil` before it is issued, when it may come from the issuing centre's node.
    public var writingNode: NodeID? { issued?.issuingCentre.node }
}

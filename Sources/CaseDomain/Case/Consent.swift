/// What the applicant agreed to share, recorded with the application (信息核对授权书):
/// sharing the application with the centre that has jurisdiction, and checks of the facts
/// by other cities. Sharing without it needs a legal-obligation basis, recorded with its
/// reason on the transfer or request that shares.
public struct Consent: Sendable, Hashable, Codable {
    /// The application may go to the centre with jurisdiction (a transfer).
    public var shareWithJurisdiction: Bool
    /// Other cities may be asked to check facts (an investigation request to another node).
    public var checksByOtherCities: Bool

    public init(shareWithJurisdiction: Bool, checksByOtherCities: Bool) {
        self.shareWithJurisdiction = shareWithJurisdiction
        self.checksByOtherCities = checksByOtherCities
    }

    /// What an application recorded before consent was asked for (schema version 1) is
    /// taken to have: the sharing the federation did then.
    public static let recordedBeforeConsent = Consent(shareWithJurisdiction: true, checksByOtherCities: true)

    /// The kinds of sharing that need the applicant's consent.
    public enum Sharing: String, Sendable, Hashable {
        case shareWithJurisdiction
        case checksByOtherCities
    }

    /// Whether `sharing` was consented to.
    public func allows(_ sharing: Sharing) -> Bool {
        switch sharing {
        case .shareWithJurisdiction: shareWithJurisdiction
        case .checksByOtherCities: checksByOtherCities
        }
    }
}

extension CaseState {
    /// Refuses a command that would share personal data the applicant did not consent to,
    /// unless it records a legal-obligation basis.
    public func requireConsent(_ sharing: Consent.Sharing, for command: String, legalBasis: String?) throws(CommandError) {
        guard !(consent ?? .recordedBeforeConsent).allows(sharing) else { return }
        guard let legalBasis, !legalBasis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .consentMissing(command: command, consent: sharing.rawValue)
        }
    }
}

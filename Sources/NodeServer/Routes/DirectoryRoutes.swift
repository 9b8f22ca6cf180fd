import CaseDomain
import Casework
import Federation
import Hummingbird

/// `GET /v1/directory/jurisdiction?venue=`: the venues of the federation's directory that
/// the text names, each with the centre a matter there belongs to, and that centre when
/// they all agree on one (the intake form's suggestion).
struct DirectoryRoutes {
    let directory: JurisdictionDirectory
    let centreNames: CentreNames

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("directory/jurisdiction") { request, context in
            _ = try context.requireStaff()
            let venue = try request.queryParameter("venue", expected: "a venue's name, 1 to 200 characters on one line", Self.venueQuery)
            guard let venue else { throw Problem.invalid("venue", "is required: the court, commission, police station or place of the matter") }
            let found = directory.lookUp(venue)
            return JSONResponse(Answer(
                venue: venue, suggestedCentre: found.suggestedCentre, exact: found.isExact,
                matches: found.matches.map { Answer.Match(name: $0.name, kind: $0.kind.rawValue, centre: $0.centre, centreName: centreNames.text($0.centre)) }))
        }
    }

    /// A venue as a query may name it: text of one line that the short-text rule takes, not blank.
    static func venueQuery(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, TextRule.short.violation(of: trimmed) == nil else { return nil }
        return trimmed
    }

    struct Answer: Encodable, Sendable {
        struct Match: Encodable, Sendable {
            var name: String
            var kind: String
            var centre: CentreID
            var centreName: String
        }
        var venue: String
        /// The one centre every match names; absent when none match or they disagree.
        var suggestedCentre: CentreID?
        /// Whether the text is a venue's name or alias (the intake form then takes the suggestion).
        var exact: Bool
        var matches: [Match]
    }
}

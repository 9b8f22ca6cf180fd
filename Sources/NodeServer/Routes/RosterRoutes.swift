import CaseDomain
import Casework
import Foundation
import Hummingbird
import Projections

/// `/v1/lawyers`: a centre's roster of lawyers, with each one's open cases, and its
/// keeping by the centre's supervisors (listing a lawyer, changing one, taking one off).
struct RosterRoutes {
    let workflow: Workflow
    let loads: LawyerLoads
    /// Every centre of the federation: the rosters there are.
    let centres: Set<CentreID>

    struct Listing: Decodable { var name: String; var firm: String; var practiceAreas: [String]?; var languages: [String]? }
    struct Change: Decodable { var expectedVersion: Int64?; var firm: String?; var practiceAreas: [String]?; var languages: [String]?; var active: Bool? }

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.get("lawyers") { request, context in
            let staff = try context.requireStaff()
            let centre = try request.queryParameter("centre", expected: "a centre of the federation, such as qingdao-licang") { text in
                CentreID(rawValue: text).flatMap { centres.contains($0) ? $0 : nil }
            } ?? staff.centre
            return JSONResponse(try await page(of: centre))
        }
        group.post("lawyers") { request, context in
            let input = try await request.decodeJSON(as: Listing.self, context: context)
            let command = Roster.Command.list(lawyerId: UUID().uuidString.lowercased(), name: input.name, firm: input.firm,
                                              practiceAreas: input.practiceAreas ?? [], languages: input.languages ?? [])
            let result = try await workflow.act(onRoster: command, expectedVersion: nil, by: try context.requireStaff())
            return JSONResponse(.created, result.json(idKey: "lawyerId"))
        }
        group.post("lawyers/{id}") { request, context in
            let input = try await request.decodeJSON(as: Change.self, context: context)
            let command = Roster.Command.update(lawyerId: try context.parameters.require("id").lowercased(), firm: input.firm,
                                                practiceAreas: input.practiceAreas, languages: input.languages, active: input.active)
            let result = try await workflow.act(onRoster: command, expectedVersion: input.expectedVersion, by: try context.requireStaff())
            return JSONResponse(result.json(idKey: "lawyerId"))
        }
    }

    /// `centre`'s roster with each lawyer's open cases there.
    func page(of centre: CentreID) async throws -> Page {
        let loaded = try await workflow.roster(of: centre)
        let state = Roster.State(replaying: loaded.events)
        let open = try await loads.openCases(handledBy: centre)
        return Page(centre: centre, version: state.version, lawyers: state.listed.map { lawyer in
            Page.Entry(lawyerId: lawyer.lawyerId, name: lawyer.name, firm: lawyer.firm, practiceAreas: lawyer.practiceAreas,
                       languages: lawyer.languages, active: lawyer.active,
                       openCases: open[LawyerLoads.Key(lawyer: lawyer.name, firm: lawyer.firm)] ?? 0)
        })
    }

    struct Page: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            var lawyerId: String
            var name: String
            var firm: String
            var practiceAreas: [String]
            var languages: [String]
            var active: Bool
            /// Cases the centre handles with this lawyer assigned, not yet closed.
            var openCases: Int
        }
        var centre: CentreID
        var version: Int64
        var lawyers: [Entry]
    }
}

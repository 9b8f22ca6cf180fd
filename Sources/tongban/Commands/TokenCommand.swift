import ArgumentParser
import CaseDomain
import EventLog
import NodeServer

/// `tongban token issue`: a staff token signed with a node's key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Staff tokens: the bearer tokens a node's staff API requires.",
        subcommands: [Issue.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a token naming a staff member, their centre and role, signed with the centre's node key."
        )

        @Option(help: ArgumentHelp("The staff member's centre, e.g. qingdao-licang.", valueName: "id"))
        var centre: String

        @Option(help: ArgumentHelp("The staff member's id or name.", valueName: "name"))
        var staff: String

        @Option(help: "staff, supervisor (the city's justice bureau) or auditor (reads only).")
        var role: StaffRole = .staff

        @Option(help: ArgumentHelp("The private key of the centre's node (tongban keys generate).", valueName: "file"))
        var key: String

        @Option(help: "How long the token is valid, in hours.")
        var hours = 12

        func run() async throws {
            guard let centreID = CentreID(rawValue: centre) else {
                throw ValidationError("--centre '\(centre)' is not a centre id (<city>-<place>, e.g. rizhao-wulian)")
            }
            guard !staff.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--staff must name the staff member") }
            // The staff id goes into every event they record (`actor.staff`): the same rule as any name.
            if let violation = TextRule.name.violation(of: staff) { throw ValidationError("--staff: \(violation)") }
            guard (1...24 * 90).contains(hours) else { throw ValidationError("--hours \(hours): between 1 and 2160 (90 days)") }
            let signingKey = try NodeSigningKey.read(node: centreID.node, from: key)
            let authority = await TokenAuthority(signingKey: signingKey)
            print(try await authority.issue(centre: centreID, staff: staff, role: role, validity: .seconds(hours * 3600)))
        }
    }
}

extension StaffRole: ExpressibleByArgument {}

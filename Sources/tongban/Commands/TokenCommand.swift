import ArgumentParser
import CaseDomain
import Casework
import EventLog
import Foundation
import NodeServer

/// `tongban token issue|revoke`: staff tokens, signed with a node's token key (never its
/// event key), and their revocation on that node.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Staff tokens: the bearer tokens a node's staff API and pages require.",
        subcommands: [Issue.self, Revoke.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a token naming a staff member, their centre and role, signed with the centre's node's token key.",
            discussion: """
                The token goes to standard output; its id (jti, what `tongban token revoke --jti` takes) and \
                expiry go to standard error. Only the node whose token key signed it accepts it.
                """
        )

        @Option(help: ArgumentHelp("The staff member's centre, e.g. qingdao-licang.", valueName: "id"))
        var centre: String

        @Option(help: ArgumentHelp("The staff member's id or name.", valueName: "name"))
        var staff: String

        @Option(help: "staff, supervisor (the city's justice bureau) or auditor (reads only).")
        var role: StaffRole = .staff

        @Option(help: ArgumentHelp("The token key of the centre's node (tongban keys generate --purpose token).", valueName: "file"))
        var tokenKey: String

        @Option(help: "How long the token is valid, in hours (at most 720, 30 days).")
        var hours = 12

        func run() async throws {
            guard let centreID = CentreID(rawValue: centre) else {
                throw ValidationError("--centre '\(centre)' is not a centre id (<city>-<place>, e.g. rizhao-wulian)")
            }
            try validateStaff(staff)
            let maximum = Int(TokenAuthority.maximumLifetime.components.seconds / 3600)
            guard (1...maximum).contains(hours) else { throw ValidationError("--hours \(hours): between 1 and \(maximum) (30 days)") }
            let key: StaffTokenKey
            do { key = try StaffTokenKey.read(from: tokenKey) } catch { throw ValidationError("--token-key: \(error)") }
            guard key.node == centreID.node else {
                throw ValidationError("--token-key \(tokenKey) is node \(key.node)'s; centre \(centreID) is served by node \(centreID.node)")
            }
            let authority = await TokenAuthority(key: key)
            let id = UUID()
            let now = Date()
            print(try await authority.issue(centre: centreID, staff: staff, role: role, validity: .seconds(hours * 3600), now: now, id: id))
            let until = now.addingTimeInterval(Double(hours * 3600)).formatted(.iso8601)
            FileHandle.standardError.write(Data("jti \(id.uuidString.lowercased()) (node \(key.node), kid \(key.kid)), valid until \(until)\n".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse a staff token, or every token of one staff member, on the node whose database this is.",
            discussion: """
                --jti refuses one token (its id, printed by tongban token issue); --staff with --centre refuses every \
                token of that person at that centre issued until now (tokens issued later are accepted). The node \
                refuses them, and every page session signed in with them, from the next request on: no restart.
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: ArgumentHelp("The token's id (its jti claim, a UUID).", valueName: "id"))
        var jti: String?

        @Option(help: ArgumentHelp("The staff member whose tokens are revoked (with --centre).", valueName: "name"))
        var staff: String?

        @Option(help: ArgumentHelp("The staff member's centre (with --staff).", valueName: "id"))
        var centre: String?

        func validate() throws {
            switch (jti, staff, centre) {
            case (let jti?, nil, nil):
                guard StaffClaims.tokenID(jti) != nil else { throw ValidationError("--jti '\(jti)' is not a token id (a UUID)") }
            case (nil, let staff?, let centre?):
                try validateStaff(staff)
                guard CentreID(rawValue: centre) != nil else {
                    throw ValidationError("--centre '\(centre)' is not a centre id (<city>-<place>, e.g. rizhao-wulian)")
                }
            case (nil, nil, _), (nil, _, nil):
                throw ValidationError("say what to revoke: --jti ID, or --staff NAME with --centre ID")
            default:
                throw ValidationError("--jti revokes one token; --staff with --centre all of one person's: not both")
            }
        }

        func run() async throws {
            let url = try database.resolved()
            try await withRunningClient(url) { client in
                let revocations = TokenRevocations(client: client)
                if let jti = jti.flatMap(StaffClaims.tokenID) {
                    let outcome = try await revocations.revoke(token: jti)
                    print(outcome.newlyRevoked ? "revoked token \(jti)" : "token \(jti) was already revoked")
                    print("\(outcome.endedSessions) page session(s) signed in with it end now")
                } else if let staff, let centre = centre.flatMap(CentreID.init(rawValue:)) {
                    let outcome = try await revocations.revoke(staff: staff, centre: centre)
                    print("revoked every token of \(staff) at \(centre) issued until now")
                    print("\(outcome.endedSessions) page session(s) signed in with them end now")
                }
            }
        }
    }
}

/// A staff id as tokens carry it: it goes into every event they record (`actor.staff`), so
/// the same rule as any name.
private func validateStaff(_ staff: String) throws {
    guard !staff.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--staff must name the staff member") }
    if let violation = TextRule.name.violation(of: staff) { throw ValidationError("--staff: \(violation)") }
}

extension StaffRole: ExpressibleByArgument {}

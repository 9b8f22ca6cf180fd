import ArgumentParser
import CaseDomain
import Casework
import Foundation
import NodeServer

/// `tongban audit access <case>`: who read the case's personal data in plain text on this
/// node, from its own access log.
struct AuditAccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "Who read a case's personal data on this node: staff, centre, purpose, fields, time.",
        discussion: "Reads the node's access log (the case's investigations and scans included), oldest first."
    )

    @Argument(help: ArgumentHelp("The case id (a UUID).", valueName: "id"))
    var id: String

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard StreamID.isRecordID(id.lowercased()) else {
            throw ValidationError("'\(id)' is not a case id: a UUID such as 01a20d63-dd8a-776a-9435-08d639b645f5")
        }
    }

    func run() async throws {
        let entries = try await withRunningClient(try database.resolved()) { client in
            try await AccessLog(client: client, logger: .init(label: "tongban.audit")).entries(record: id.lowercased(), limit: 100_000)
        }
        if json {
            print(String(decoding: try CanonicalJSON.encode(CanonicalJSON.jsonValue(of: entries)), as: UTF8.self))
            return
        }
        print("case \(id.lowercased()): \(entries.count) read\(entries.count == 1 ? "" : "s") of personal data in plain text on this node")
        for entry in entries {
            print("\(entry.at)  \(entry.centre)  \(entry.staff) (\(entry.role))  \(entry.purpose)  \(entry.recordKind) \(entry.recordId)  \(entry.fields.joined(separator: ","))")
        }
    }
}

import Foundation
@testable import LocalPostgres
import Testing

@Suite("The private cluster: the newest PostgreSQL installed, in a directory its server can reach")
struct LocalClusterTests {
    @Test func prefersTheNewestInstalledMajorOfFifteenOrLater() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-pg-majors-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for entry in ["9.6", "14", "15", "17", "16", "common", "18beta"] {
            try FileManager.default.createDirectory(atPath: root + "/" + entry, withIntermediateDirectories: true)
        }
        #expect(LocalCluster.installedMajors(under: root) == [17, 16, 15])
        #expect(LocalCluster.installedMajors(under: root + "/missing").isEmpty)
    }

    @Test(.enabled(if: LocalCluster.isRoot, "only root starts the server as another user"))
    func refusesADataDirectoryTheServerUserCannotEnterAndNamesTheDirectoryToFix() throws {
        let closed = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-closed-\(UUID())").path
        try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: closed) }
        let cluster = try LocalCluster(dataDirectory: closed + "/checkout/.tongban/pg", port: 54399)
        do {
            try cluster.start()
            Issue.record("a cluster started in a directory the postgres user cannot reach")
        } catch {
            guard case .serverUserCannotEnter(_, let blocked) = error else {
                Issue.record("expected serverUserCannotEnter, got \(error)")
                return
            }
            #expect(blocked == closed)
            #expect(error.description.contains("chmod o+x \(closed)"))
        }
        #expect(!FileManager.default.fileExists(atPath: closed + "/checkout/.tongban/pg/PG_VERSION"))
    }
}

import CaseDomain
import Casework
import EventLog
import Federation
import Foundation
import Logging
import Projections
import TestSupport
import Testing

/// The application layer on its own, on a real PostgreSQL and no socket: commands are
/// loaded, decided, appended and numbered, and every refusal is a typed ``WorkflowError``
/// that writes nothing.
@Suite("The application layer without HTTP")
struct WorkflowWithoutHTTPTests {
    static let shinan = StaffMember(staff: "staff-1", centre: CentreID(rawValue: "qingdao-shinan")!, role: .staff)
    static let licang = StaffMember(staff: "staff-2", centre: CentreID(rawValue: "qingdao-licang")!, role: .staff)

    /// The workflow and case views of the node `qingdao` (Shinan's and Licang's) over `database`.
    static func casework(_ database: TestDatabase) throws -> (Workflow, Views) {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestCluster.repositoryRoot + "/deploy/federation.example.json"))
        let federation = try FederationFile.decode(data, source: "federation.example.json", requirePublicKeys: false)
        let key = TestDatabase.key("qingdao")
        let clock = NodeClock(.fixed(Timestamp(iso8601: "2026-11-20T02:00:00Z")!))
        let store = StreamStore(appender: database.appender(node: "qingdao", clock: clock), reader: EventReader(client: database.service),
                                keys: RecordKeyStore(client: database.service, node: key.node))
        let keyHandOver = KeyHandOver(custodian: KeyCustodian(client: database.service, node: key.node, federation: federation,
                                                              logger: Logger(label: "test")), delivery: nil)
        let centres = Set(federation.nodes.flatMap { $0.centres.map(\.id) })
        let workflow = Workflow(store: store, policies: federation.policies, centres: centres, clock: clock, keyHandOver: keyHandOver,
                                matching: federation.blindIndex(signingKey: key),
                                conflicts: ConflictGate(cases: CaseRecords(client: database.service), checks: ConflictChecks(client: database.service)))
        let views = Views(store: store, cases: CaseRecords(client: database.service), registry: CertificateRegistry(client: database.service),
                          clock: clock, accessLog: AccessLog(client: database.service, logger: Logger(label: "test")),
                          receipts: DeliveryReceipts(store: store, logger: Logger(label: "test")))
        return (workflow, views)
    }

    static func zhang() -> CaseCommand {
        .submit(applicant: Applicant(name: "张某", idNumber: "371121198001011234", phone: "13800000000", homeCity: NodeID(rawValue: "rizhao")!,
                                     groups: ["migrant-worker"]),
                matter: Matter(litigation: true, cause: "traffic-accident", summary: "交通事故赔偿", venue: "李沧区人民法院",
                               jurisdictionCentre: CentreID(rawValue: "qingdao-licang")!),
                urgent: false, hardship: .exempt(group: "migrant-worker"), documents: [],
                consent: Consent(shareWithJurisdiction: true, checksByOtherCities: true))
    }

    @Test func aCaseMovesThroughTheWorkflowAndRefusalsAreTypedAndWriteNothing() async throws {
        try await withTestDatabase { database in
            let (workflow, views) = try Self.casework(database)
            let submitted = try await workflow.submit(Self.zhang(), by: Self.shinan)
            let caseID = submitted.id
            #expect(submitted.version == 1)
            _ = try await workflow.act(on: caseID, expectedVersion: 1, .assess(eligible: true, reason: "符合条件", missing: []), by: Self.shinan)
            let size = try await database.count("SELECT count(*)::int FROM events")

            // A stale version, a command the phase does not allow, a stranger, an auditor, an unknown case.
            await #expect { try await workflow.act(on: caseID, expectedVersion: 1, .decide(granted: true, reason: "同意"), by: Self.shinan) } throws: {
                if case WorkflowError.notAppended(.conflict(_, 1, 2))? = $0 as? WorkflowError { true } else { false }
            }
            await #expect { try await workflow.act(on: caseID, expectedVersion: 2, .acceptTransfer, by: Self.shinan) } throws: {
                if case WorkflowError.refused(.invalidTransition)? = $0 as? WorkflowError { true } else { false }
            }
            await #expect { try await workflow.act(on: caseID, expectedVersion: 2, .decide(granted: true, reason: "同意"), by: Self.licang) } throws: {
                if case WorkflowError.refused(.forbidden)? = $0 as? WorkflowError { true } else { false }
            }
            let auditor = StaffMember(staff: "a", centre: Self.shinan.centre, role: .auditor)
            await #expect { try await workflow.act(on: caseID, expectedVersion: 2, .decide(granted: true, reason: "同意"), by: auditor) } throws: {
                if case WorkflowError.forbidden? = $0 as? WorkflowError { true } else { false }
            }
            await #expect { try await workflow.act(on: UUID().uuidString, expectedVersion: 1, .archive, by: Self.shinan) } throws: {
                if case WorkflowError.notFound? = $0 as? WorkflowError { true } else { false }
            }
            #expect(try await database.count("SELECT count(*)::int FROM events") == size, "no refusal wrote anything")

            // The transfer, then the target's acceptance; the case view follows.
            _ = try await workflow.act(on: caseID, expectedVersion: 2, .requestTransfer(to: Self.licang.centre, reason: "法院在李沧", legalBasis: nil), by: Self.shinan)
            _ = try await workflow.act(on: caseID, expectedVersion: 3, .acceptTransfer, by: Self.licang)
            let granted = try await workflow.act(on: caseID, expectedVersion: 4, .decide(granted: true, reason: "符合条件"), by: Self.licang)
            #expect(granted.number == "LICANG-2026-000001", "a grant takes the centre's next number")
            let view = try await views.caseView(caseID, for: Self.shinan)
            #expect(view.phase == .granted && view.owner == Self.licang.centre && view.number == "LICANG-2026-000001")
            #expect(view.deliveries.count == 1 && view.deliveries[0].answered, "the transfer's delivery row, answered")
            await #expect { try await views.caseView(caseID, for: StaffMember(staff: "x", centre: CentreID(rawValue: "weihai-rongcheng")!, role: .staff)) } throws: {
                if case WorkflowError.forbidden? = $0 as? WorkflowError { true } else { false }
            }
        }
    }
}

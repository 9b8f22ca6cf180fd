import CaseDomain
import EventLog
import Logging
import PostgresNIO

/// The case view: for each case its state, what its application says (personal data
/// masked) and the centres that took part; for each investigation request its state and
/// case; for each request sent to a centre, its delivery receipt (``DeliveryProjection``). A batch loads the rows it touches, folds the events into them with the domain's
/// own `evolve` and writes them back.
public struct CaseViewProjection: Projection {
    public let name = "case-views"
    public let tables = ["case_views", "case_investigations", "deliveries"]

    public init() {}

    public func apply(_ batch: [ProjectedEvent], on connection: PostgresConnection, logger: Logger) async throws {
        var caseIDs: Set<String> = []
        var investigationIDs: Set<String> = []
        for event in batch {
            switch event.domain {
            case .caseEvent(let caseID, _): caseIDs.insert(caseID)
            case .investigation(let id, _): investigationIDs.insert(id)
            default: break
            }
        }
        try await DeliveryProjection.apply(batch, on: connection, logger: logger)
        guard !caseIDs.isEmpty || !investigationIDs.isEmpty else { return }
        let tables = CaseViewTables(connection: connection, logger: logger)
        let opened = batch.openedRecords
        var cases = try await tables.cases(Array(caseIDs.subtracting(opened)))
        var investigations = try await tables.investigations(Array(investigationIDs.subtracting(opened)))

        for event in batch {
            switch event.domain {
            case .caseEvent(let caseID, let caseEvent):
                var record = cases[caseID] ?? CaseRecord(caseID: caseID)
                record.apply(caseEvent)
                cases[caseID] = record
            case .investigation(let id, let investigationEvent):
                var record = investigations[id] ?? CaseRecord.InvestigationRecord(investigationID: id, caseID: nil,
                                                                                             firstPosition: event.recorded.globalPosition, state: .init())
                record.state = Investigation.evolve(record.state, investigationEvent)
                if record.caseID == nil, let stream = record.state.caseStream, let caseID = StreamID.caseID(ofStream: stream) {
                    record.caseID = caseID
                }
                investigations[id] = record
            default:
                break
            }
        }
        try await tables.write(cases: caseIDs.compactMap { cases[$0] }, investigations: investigationIDs.compactMap { investigations[$0] })
    }
}

/// A case as the case view projection holds it.
public struct CaseRecord: Sendable, Hashable {
    /// What the application said, personal data masked: what staff see of it.
    public struct Application: Sendable, Hashable, Codable {
        public var applicantName: String
        public var idNumber: String
        public var phone: String
        public var homeCity: NodeID
        public var groups: [String]
        public var matter: Matter
        public var hardship: HardshipBasis
        public var recognisedCertificate: CertificateRecognition?
    }

    /// An investigation request of the case.
    public struct InvestigationRecord: Sendable, Hashable {
        public var investigationID: String
        /// `nil` only for a request whose first event has not been projected.
        public var caseID: String?
        /// Where its first event stands in this node's log: requests are listed in this order.
        public var firstPosition: Int64
        public var state: Investigation.State
    }

    public var caseID: String
    public var state = CaseState()
    public var application: Application?
    /// Centres that took part in the case itself: its intake centre and both ends of every
    /// transfer (the centres asked to investigate come from the requests).
    public var participants: Set<CentreID> = []
    /// Its investigation requests, in the order they were made (filled by reads).
    public var investigations: [InvestigationRecord] = []
    /// The requests of the case and of its investigations sent to a centre, with their
    /// receipts, in the order they were made (filled by reads).
    public var deliveries: [DeliveryRecord] = []
    /// Its parties' blind indexes, for the conflict check; `nil` before the check was made.
    public var parties: PartyIndexes?

    init(caseID: String) {
        self.caseID = caseID
    }

    mutating func apply(_ event: CaseEvent) {
        state = CaseLifecycle.evolve(state, event)
        switch event {
        case .applicationSubmitted(let submitted):
            participants.insert(submitted.intakeCentre)
            parties = submitted.parties
            var matter = submitted.matter
            if let adverse = matter.adverseParty { matter.adverseParty?.id = PersonalData.maskIDNumber(adverse.id) }
            application = Application(
                applicantName: submitted.applicant.name, idNumber: PersonalData.maskIDNumber(submitted.applicant.idNumber),
                phone: PersonalData.maskPhone(submitted.applicant.phone), homeCity: submitted.applicant.homeCity,
                groups: submitted.applicant.groups, matter: matter, hardship: submitted.hardship,
                recognisedCertificate: submitted.recognisedCertificate)
        case .transferRequested(let transfer):
            participants.formUnion([transfer.fromCentre, transfer.toCentre])
        case .caseErased:
            // An erased case is matched with no one (its indexes stay in the log; see ConflictChecks).
            parties = nil
        default:
            break
        }
    }
}

/// The case view tables, read and written a batch at a time. States and applications are
/// stored as JSON of their `Codable` form.
struct CaseViewTables {
    let connection: PostgresConnection
    let logger: Logger

    func cases(_ ids: [String]) async throws -> [String: CaseRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT case_id, state::text, application::text, participants, applicant_index, adverse_index FROM case_views WHERE case_id = ANY(\(ids))
            """, logger: logger)
        var cases: [String: CaseRecord] = [:]
        for try await (id, state, application, participants, applicantIndex, adverseIndex)
            in rows.decode((String, String, String?, [String], String?, String?).self) {
            cases[id] = try Self.caseRecord(id: id, state: state, application: application, participants: participants,
                                            applicantIndex: applicantIndex, adverseIndex: adverseIndex)
        }
        return cases
    }

    func investigations(_ ids: [String]) async throws -> [String: CaseRecord.InvestigationRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT investigation_id, case_id, first_position, state::text FROM case_investigations WHERE investigation_id = ANY(\(ids))
            """, logger: logger)
        var records: [String: CaseRecord.InvestigationRecord] = [:]
        for try await (id, caseID, position, state) in rows.decode((String, String?, Int64, String).self) {
            records[id] = .init(investigationID: id, caseID: caseID, firstPosition: position, state: try Self.decode(Investigation.State.self, state))
        }
        return records
    }

    /// Upserts the rows of `cases` and `investigations`.
    func write(cases: [CaseRecord], investigations: [CaseRecord.InvestigationRecord]) async throws {
        if !cases.isEmpty {
            var states: [String] = [], applications: [String] = [], participants: [String] = []
            for record in cases {
                states.append(try Self.encode(record.state))
                applications.append(try record.application.map(Self.encode) ?? "")
                participants.append(record.participants.map(\.rawValue).sorted().joined(separator: ","))
            }
            _ = try await connection.query("""
                INSERT INTO case_views (case_id, version, phase, owner, number, state, application, participants, applicant_index, adverse_index)
                SELECT id, version, phase, nullif(owner, ''), nullif(number, ''), state::jsonb, nullif(application, '')::jsonb,
                       string_to_array(participants, ','), nullif(applicant_index, ''), nullif(adverse_index, '')
                  FROM unnest(\(cases.map(\.caseID)), \(cases.map(\.state.version)), \(cases.map(\.state.phase.rawValue)),
                              \(cases.map { $0.state.owner?.rawValue ?? "" }), \(cases.map { $0.state.number ?? "" }),
                              \(states), \(applications), \(participants),
                              \(cases.map { $0.parties?.applicantIndex ?? "" }), \(cases.map { $0.parties?.adversePartyIndex ?? "" }))
                       AS c(id, version, phase, owner, number, state, application, participants, applicant_index, adverse_index)
                ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, phase = excluded.phase, owner = excluded.owner,
                    number = excluded.number, state = excluded.state, application = excluded.application, participants = excluded.participants,
                    applicant_index = excluded.applicant_index, adverse_index = excluded.adverse_index
                """, logger: logger)
        }
        if !investigations.isEmpty {
            _ = try await connection.query("""
                INSERT INTO case_investigations (investigation_id, case_id, first_position, target, state)
                SELECT id, nullif(case_id, ''), first_position, nullif(target, ''), state::jsonb
                  FROM unnest(\(investigations.map(\.investigationID)), \(investigations.map { $0.caseID ?? "" }),
                              \(investigations.map(\.firstPosition)), \(investigations.map { $0.state.target?.rawValue ?? "" }),
                              \(try investigations.map { try Self.encode($0.state) }))
                       AS i(id, case_id, first_position, target, state)
                ON CONFLICT (investigation_id) DO UPDATE SET case_id = excluded.case_id, target = excluded.target, state = excluded.state
                """, logger: logger)
        }
    }

    static func caseRecord(id: String, state: String, application: String?, participants: [String],
                           applicantIndex: String?, adverseIndex: String?) throws -> CaseRecord {
        var record = CaseRecord(caseID: id)
        record.parties = applicantIndex.map { PartyIndexes(applicantIndex: $0, adversePartyIndex: adverseIndex) }
        record.state = try decode(CaseState.self, state)
        record.application = try application.map { try decode(CaseRecord.Application.self, $0) }
        record.participants = Set(participants.compactMap(CentreID.init(rawValue:)))
        return record
    }

    /// Canonical JSON (sorted keys), built without Foundation's encoder: one for each case a
    /// batch touches.
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try CanonicalJSON.encode(encodable: value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try CanonicalJSON.decode(type, from: CanonicalJSON.decode(Array(text.utf8)))
    }
}

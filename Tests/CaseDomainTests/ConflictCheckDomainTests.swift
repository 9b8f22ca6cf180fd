import CaseDomain
import Testing

/// The conflict check's part of the domain: an adverse party is validated where it enters,
/// its details are sealed, a reader never sees one that was not written, and the reason a
/// centre goes ahead despite findings is recorded in the event it gives.
@Suite("Adverse parties and conflict reasons")
struct ConflictCheckDomainTests {
    typealias S = SealedBodyTests

    static func submitted(adverse: JSONValue?) throws -> CaseEvent {
        var matter: [String: JSONValue] = ["litigation": true, "cause": "wage-arrears", "summary": "拖欠工资", "venue": "李沧法院", "jurisdictionCentre": "qingdao-licang"]
        if let adverse { matter["adverseParty"] = adverse }
        return try #require(try CaseEvent(type: "ApplicationSubmitted", body: [
            "intakeCentre": "qingdao-licang",
            "applicant": ["name": "王某", "idNumber": "370202199001011234", "phone": "13900000000", "homeCity": "qingdao", "groups": []],
            "matter": .object(matter), "urgent": false, "hardship": ["promise": ["statement": "承诺"]], "documents": [],
            "parties": ["applicantIndex": .string(String(repeating: "a", count: 64))],
        ]))
    }

    @Test func anAdversePartysDetailsAreSealedAndNoneAppearsWhereNoneWasWritten() throws {
        let keys = RecordKeys.generate()
        let withParty = try SealedBody.seal(try Self.submitted(adverse: ["name": "某建筑公司", "id": "91370200MA3C123456"]).body(),
                                            type: "ApplicationSubmitted", record: S.record, keys: keys)
        let text = String(decoding: try CanonicalJSON.encode(withParty), as: UTF8.self)
        #expect(!text.contains("某建筑公司") && !text.contains("91370200MA3C123456") && text.contains(String(repeating: "a", count: 64)),
                "the party is sealed, its blind index plain: \(text)")
        let opened = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: withParty, record: S.record, keys: keys))
        guard case .applicationSubmitted(let read) = opened.event else { Issue.record("not an application"); return }
        #expect(read.matter.adverseParty == AdverseParty(name: "某建筑公司", id: "91370200MA3C123456"))
        let unread = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: withParty, record: S.record, keys: .none))
        guard case .applicationSubmitted(let masked) = unread.event else { Issue.record("not an application"); return }
        #expect(masked.matter.adverseParty == nil, "a node without the key is shown no party, not an empty one")

        let withoutParty = try SealedBody.seal(try Self.submitted(adverse: nil).body(), type: "ApplicationSubmitted", record: S.record, keys: keys)
        for readKeys in [keys, RecordKeys.none] {
            let back = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: withoutParty, record: S.record, keys: readKeys))
            guard case .applicationSubmitted(let application) = back.event else { Issue.record("not an application"); return }
            #expect(application.matter.adverseParty == nil, "no phantom party from a placeholder")
        }
    }

    @Test func anAdversePartyNeedsANameAndAnEighteenCharacterID() throws {
        let context = CaseLifecycleTests.context(CaseLifecycleTests.licang)
        let applicant = Applicant(name: "王某", idNumber: "370202199001011234", phone: "13900000000", homeCity: NodeID(rawValue: "qingdao")!, groups: [])
        func submit(_ party: AdverseParty) throws -> [CaseEvent] {
            let matter = Matter(litigation: true, cause: "wage-arrears", summary: "", venue: "李沧法院", jurisdictionCentre: CentreID(rawValue: "qingdao-licang")!,
                                adverseParty: party)
            return try CaseLifecycle.decide(.submit(applicant: applicant, matter: matter, urgent: false, hardship: .promise(statement: "承诺"), documents: [],
                                                    consent: Consent(shareWithJurisdiction: true, checksByOtherCities: true)), on: CaseState(), context: context)
        }
        #expect(try submit(AdverseParty(name: "某公司", id: "91370200MA3C123456")).count == 1)
        #expect(try submit(AdverseParty(name: "李某", id: "37020219800101123X")).count == 1)
        for bad in ["", "12345", "91370200ma3c123456", "91370200MA3C1234567", "9137020０MA3C12345", "91370200MA3C12345\u{0}"] {
            #expect(throws: CommandError.validation(field: "matter.adverseParty.id", reason: "expected an 18-character ID number or unified social credit code"), "\(bad)") {
                try submit(AdverseParty(name: "某公司", id: bad))
            }
        }
        #expect(throws: CommandError.validation(field: "matter.adverseParty.name", reason: "must not be empty")) {
            try submit(AdverseParty(name: "  ", id: "91370200MA3C123456"))
        }
    }
}

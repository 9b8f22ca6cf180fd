import CaseDomain
import Crypto
import Foundation
import Testing

/// Personal data leaves an event body for sealed boxes; the body is read back alike with
/// the keys (plain text) and without them (placeholders), by the same domain types.
@Suite("Sealed personal data in event bodies")
struct SealedBodyTests {
    static let submitted = try! #require(try CaseEvent(type: "ApplicationSubmitted", body: [
        "intakeCentre": "rizhao-wulian",
        "applicant": ["name": "张某", "idNumber": "371121198001011234", "phone": "13800000000", "homeCity": "rizhao", "groups": ["migrant-worker"]],
        "matter": ["litigation": true, "cause": "traffic-accident", "summary": "交通事故赔偿", "venue": "青岛市李沧区人民法院", "jurisdictionCentre": "qingdao-licang"],
        "urgent": false, "hardship": ["promise": ["statement": "本人承诺家庭经济困难"]], "documents": [],
    ]))
    static let record = "01a1f6ae-9900-7d51-a8fb-fea1cf123d96"

    static func sealed(_ event: CaseEvent, keys: RecordKeys) throws -> JSONValue {
        try SealedBody.seal(try event.body(), type: event.type, record: record, keys: keys)
    }

    @Test func noPersonalValueIsLeftInTheSealedBodyInAnyForm() throws {
        let keys = RecordKeys.generate()
        let body = try Self.sealed(Self.submitted, keys: keys)
        let text = String(decoding: try CanonicalJSON.encode(body), as: UTF8.self)
        for secret in ["张某", "371121198001011234", "13800000000", "交通事故赔偿", "本人承诺"] {
            #expect(!text.contains(secret), "\(secret) is sealed")
        }
        #expect(text.contains("traffic-accident") && text.contains("qingdao-licang"), "what projections need stays plain")
        try EventValueRules.check(body: body)
    }

    /// What an inbox opens: one field, with the record key as a store gives it (its field
    /// keys derived when asked for) or a field key alone; nothing without a key for it.
    @Test func oneFieldOpensAloneWithItsKeyAndNotWithout() throws {
        let generated = RecordKeys.generate()
        let body = try Self.sealed(Self.submitted, keys: generated)
        var stored = RecordKeys.none
        stored.add(recordKey: try #require(generated.recordKey))
        #expect(SealedBody.values(of: .name, in: body, type: "ApplicationSubmitted", schemaVersion: 2, record: Self.record, keys: stored)
                == ["applicant.name": "张某"])
        var nameOnly = RecordKeys.none
        nameOnly.add(RecordKeys.derive(try #require(generated.recordKey), .name), for: .name)
        #expect(SealedBody.values(of: .name, in: body, type: "ApplicationSubmitted", schemaVersion: 2, record: Self.record, keys: nameOnly)?["applicant.name"] == "张某")
        #expect(SealedBody.values(of: .phone, in: body, type: "ApplicationSubmitted", schemaVersion: 2, record: Self.record, keys: nameOnly) == nil,
                "a name key opens no phone")
        #expect(SealedBody.values(of: .name, in: body, type: "ApplicationSubmitted", schemaVersion: 2, record: "another-record", keys: stored) == nil,
                "a box is bound to its record")
        #expect(SealedBody.values(of: .name, in: try Self.submitted.body(), type: "ApplicationSubmitted", schemaVersion: 1, record: Self.record, keys: .none)
                == ["applicant.name": "张某"], "a plain-text body holds it as written")
    }

    @Test func theRecordKeyOpensEverythingAndNoKeyGivesPlaceholders() throws {
        let keys = RecordKeys.generate()
        let body = try Self.sealed(Self.submitted, keys: keys)
        let full = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: body, record: Self.record, keys: keys))
        #expect(full.event == Self.submitted)
        #expect(full.opened.opened == Set<PersonalField>([.name, .idNumber, .phone, .summary]) && full.opened.sealed.isEmpty)

        let blind = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: body, record: nil))
        guard case .applicationSubmitted(let shown) = blind.event else { Issue.record("not an application"); return }
        #expect(shown.applicant.name.isEmpty && shown.applicant.idNumber.isEmpty && shown.matter.summary.isEmpty)
        #expect(shown.hardship == HardshipBasis.promise(statement: "") && shown.applicant.groups == ["migrant-worker"])
        #expect(blind.opened.sealed == Set<PersonalField>([.name, .idNumber, .phone, .summary]) && blind.opened.opened.isEmpty)
    }

    @Test func fieldKeysOpenOnlyTheirFieldsAndAnotherRecordsKeyOpensNothing() throws {
        let recordKey = SymmetricKey(size: .bits256)
        let body = try Self.sealed(Self.submitted, keys: RecordKeys(recordKey: recordKey))
        var shared = RecordKeys()
        shared.add(RecordKeys.derive(recordKey, .name), for: .name)
        let partial = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: body, record: Self.record, keys: shared))
        #expect(partial.opened.opened == [PersonalField.name] && partial.opened.sealed == Set<PersonalField>([.idNumber, .phone, .summary]))

        let elsewhere = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: body,
                                                        record: "01a1f6ae-9900-7d51-a8fb-000000000000", keys: RecordKeys(recordKey: recordKey)))
        #expect(elsewhere.opened.opened.isEmpty, "a box is bound to its record: moved to another case it does not open")
        let wrong = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 2, body: body, record: Self.record, keys: .generate()))
        #expect(wrong.opened.opened.isEmpty && wrong.opened.sealed.count == 4)
    }

    @Test func aVersionOneBodyIsReadAsWrittenAndAnEventWithoutPersonalDataIsUnchanged() throws {
        let plain = try Self.submitted.body()
        let read = try #require(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 1, body: plain, record: nil))
        #expect(read.event == Self.submitted && read.opened.opened == Set<PersonalField>([.name, .idNumber, .phone, .summary]))
        let archived = CaseEvent.caseArchived(.init())
        #expect(try Self.sealed(archived, keys: .none) == (try archived.body()), "nothing to seal needs no key")
        #expect(throws: SealedBody.MissingKey.self) { try Self.sealed(Self.submitted, keys: .none) }
        #expect(try CaseEvent.read(type: "ApplicationSubmitted", schemaVersion: 3, body: plain, record: nil) == nil)
    }
}

import CaseDomain
import Foundation
import Testing

/// The Zhang story and the rules around it, on the pure case state machine.
@Suite("Case lifecycle: decide and evolve")
struct CaseLifecycleTests {
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    static let start = Timestamp(iso8601: "2026-11-20T02:00:00Z")!  // a Friday, 10:00 in China

    static let policies: [NodeID: CityPolicy] = [
        NodeID(rawValue: "rizhao")!: CityPolicy(exemptGroups: ["migrant-worker", "minor"], defaultSubsidy: 150_000),
        NodeID(rawValue: "qingdao")!: CityPolicy(exemptGroups: ["minor"], countsWorkingDays: true,
                                                 holidays: ["2026-11-30"], subsidyByCause: ["traffic-accident": 300_000], defaultSubsidy: 200_000),
        NodeID(rawValue: "weihai")!: CityPolicy(exemptGroups: [], defaultSubsidy: 180_000),
    ]

    static func context(_ centre: CentreID?, at now: Timestamp = start, role: CaseContext.Role = .staff, number: String? = nil) -> CaseContext {
        CaseContext(now: now, actor: centre.map { Actor(centre: $0, staff: "staff-1") } ?? .system, role: role, policies: policies, allottedNumber: number)
    }

    static let zhang = Applicant(name: "张某", idNumber: "371121198001011234", phone: "13800000000", homeCity: NodeID(rawValue: "rizhao")!, groups: ["migrant-worker"])
    static let matter = Matter(litigation: true, cause: "traffic-accident", summary: "交通事故赔偿", venue: "青岛市李沧区人民法院", jurisdictionCentre: licang)
    static let form = Document(name: "申请表.pdf", mediaType: "application/pdf", size: 48_213, sha256: String(repeating: "ab", count: 32))
    static let consented = Consent(shareWithJurisdiction: true, checksByOtherCities: true)
    static let submit = CaseCommand.submit(applicant: zhang, matter: matter, urgent: false, hardship: .exempt(group: "migrant-worker"), documents: [form], consent: consented)

    static let urgentSubmit = CaseCommand.submit(applicant: zhang, matter: matter, urgent: true, hardship: .exempt(group: "migrant-worker"), documents: [form], consent: consented)

    /// Applies `command` as `context`, returning the new state; fails the test if refused.
    static func apply(_ command: CaseCommand, _ state: CaseState, _ context: CaseContext) throws -> CaseState {
        let events = try CaseLifecycle.decide(command, on: state, context: context)
        return events.reduce(state, CaseLifecycle.evolve)
    }

    @Test func zhangsCaseRunsFromWulianToLicangAndIsArchived() throws {
        var state = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        #expect(state.phase == .submitted && state.owner == Self.wulian)
        state = try Self.apply(.assess(eligible: true, reason: "符合条件", missing: []), state, Self.context(Self.wulian))
        #expect(state.phase == .readyForDecision)
        #expect(state.decisionDueAt == nil, "Wulian does not decide: Licang has jurisdiction")
        state = try Self.apply(.requestTransfer(to: Self.licang, reason: "法院在李沧"), state, Self.context(Self.wulian))
        #expect(state.phase == .transferPending && state.transferTarget == Self.licang)
        state = try Self.apply(.acceptTransfer, state, Self.context(Self.licang))
        #expect(state.owner == Self.licang)
        // Qingdao counts 7 working days from Friday 20 Nov, skipping two weekends and its 30 Nov holiday.
        #expect(state.decisionDueAt == Timestamp(iso8601: "2026-12-02T02:00:00Z"))
        state = try Self.apply(.decide(granted: true, reason: "同意"), state, Self.context(Self.licang, number: "LICANG-2026-000123"))
        #expect(state.phase == .granted && state.number == "LICANG-2026-000123")
        #expect(state.lawyerDueAt == Timestamp(iso8601: "2026-11-25T02:00:00Z"))
        state = try Self.apply(.assignLawyer(lawyer: "李律师", firm: "青岛某律所", chosenByApplicant: false), state, Self.context(Self.licang))
        state = try Self.apply(.collectOriginals, state, Self.context(Self.licang))
        state = try Self.apply(.close(outcome: "调解结案", recoveredAmount: 12_000_000), state, Self.context(Self.licang))
        #expect(state.subsidyPaidBy == NodeID(rawValue: "qingdao") && state.subsidyAmount == 300_000, "the aided location pays by its schedule")
        state = try Self.apply(.archive, state, Self.context(Self.licang))
        state = try Self.apply(.recordFollowUp(satisfied: true, note: "满意"), state, Self.context(Self.licang))
        #expect(state.phase == .archived && state.followUps == 1 && state.version == 10)
    }

    @Test func onlyTheReceivingCentreAnswersATransfer() throws {
        var state = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        state = try Self.apply(.assess(eligible: true, reason: "ok", missing: []), state, Self.context(Self.wulian))
        state = try Self.apply(.requestTransfer(to: Self.licang, reason: "jurisdiction"), state, Self.context(Self.wulian))
        for outsider in [Self.wulian, Self.huancui] {
            #expect(throws: CommandError.self, "\(outsider) must not answer a transfer to Licang") {
                try CaseLifecycle.decide(.acceptTransfer, on: state, context: Self.context(outsider))
            }
        }
        #expect(throws: CommandError.invalidTransition(command: "decide", phase: "transfer-pending")) {
            try CaseLifecycle.decide(.decide(granted: true, reason: "x"), on: state, context: Self.context(Self.wulian, number: "N"))
        }
        state = try Self.apply(.returnTransfer(code: .wrongJurisdiction, reason: "不属本中心管辖"), state, Self.context(Self.licang))
        #expect(state.phase == .readyForDecision && state.owner == Self.wulian, "a returned case goes back to the sender, who may transfer again")
    }

    @Test func onlyTheSenderCancelsAPendingTransferAndTheTargetsNodeRecordsIt() throws {
        var state = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        state = try Self.apply(.assess(eligible: true, reason: "ok", missing: []), state, Self.context(Self.wulian))
        state = try Self.apply(.requestTransfer(to: Self.licang, reason: "jurisdiction"), state, Self.context(Self.wulian))
        let sender = Actor(centre: Self.wulian, staff: "staff-1")
        for requester in [Actor(centre: Self.licang, staff: "s"), Actor(centre: Self.huancui, staff: "s"), Actor.system] {
            #expect(throws: CommandError.self, "\(requester) must not cancel Wulian's transfer") {
                try CaseLifecycle.decide(.cancelTransfer(reason: "r", requestedBy: requester), on: state, context: Self.context(nil))
            }
        }
        #expect(throws: CommandError.self, "a staff member records no cancellation himself: the target's node does") {
            try CaseLifecycle.decide(.cancelTransfer(reason: "r", requestedBy: sender), on: state, context: Self.context(Self.wulian))
        }
        let events = try CaseLifecycle.decide(.cancelTransfer(reason: "误转", requestedBy: sender), on: state, context: Self.context(nil))
        guard case .transferCancelled(let cancelled)? = events.first, events.count == 1 else { Issue.record("\(events)"); return }
        #expect(cancelled.centre == Self.wulian && cancelled.staff == "staff-1" && cancelled.reason == "误转")
        state = events.reduce(state, CaseLifecycle.evolve)
        #expect(state.phase == .readyForDecision && state.owner == Self.wulian && state.transferTarget == nil)
        #expect(state.writingNode == Self.wulian.node, "the sender's node writes the case again")
        #expect(events[0].transferAnswer == "cancelled by the sending centre rizhao-wulian")
        #expect(throws: CommandError.invalidTransition(command: "cancel-transfer", phase: "ready-for-decision")) {
            try CaseLifecycle.decide(.cancelTransfer(reason: "r", requestedBy: sender), on: state, context: Self.context(nil))
        }
    }

    @Test func commandsOutOfTurnAreRefusedNamingPhaseAndCommand() {
        #expect(throws: CommandError.invalidTransition(command: "decide", phase: "new")) {
            try CaseLifecycle.decide(.decide(granted: true, reason: "x"), on: CaseState(), context: Self.context(Self.wulian))
        }
        #expect(throws: CommandError.invalidTransition(command: "archive", phase: "new")) {
            try CaseLifecycle.decide(.archive, on: CaseState(), context: Self.context(Self.wulian))
        }
    }

    @Test func exemptionFollowsTheIntakeCitysPolicy() {
        let notExemptInQingdao = CaseCommand.submit(applicant: Self.zhang, matter: Self.matter, urgent: false, hardship: .exempt(group: "migrant-worker"), documents: [], consent: Self.consented)
        #expect(throws: CommandError.validation(field: "hardship.group", reason: "'migrant-worker' is not exempt from the hardship review in qingdao")) {
            try CaseLifecycle.decide(notExemptInQingdao, on: CaseState(), context: Self.context(Self.licang))
        }
    }

    @Test func missingMaterialsPauseTheClockAndLapseIntoWithdrawal() throws {
        var state = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        state = try Self.apply(.assess(eligible: true, reason: "缺材料", missing: ["身份证复印件"]), state, Self.context(Self.wulian))
        #expect(state.phase == .awaitingMaterials && state.decisionDueAt == nil)
        let due = try #require(state.materialsDueAt)
        #expect(throws: CommandError.self, "not overdue yet") {
            try CaseLifecycle.decide(.deemWithdrawn, on: state, context: Self.context(nil, at: due))
        }
        let later = Timestamp(millisecondsSinceEpoch: due.millisecondsSinceEpoch + 1)
        state = try Self.apply(.deemWithdrawn, state, Self.context(nil, at: later))
        #expect(state.phase == .withdrawn)
    }

    @Test func anObjectionCanOrderAid() throws {
        var state = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        state = try Self.apply(.assess(eligible: false, reason: "收入超标", missing: []), state, Self.context(Self.wulian))
        #expect(state.phase == .refused)
        #expect(throws: CommandError.self, "centre staff do not rule on objections") {
            try CaseLifecycle.decide(.fileObjection(reason: "不服"), on: state, context: Self.context(Self.wulian))
        }
        let bureau = CentreID(rawValue: "rizhao-municipal")!
        state = try Self.apply(.fileObjection(reason: "不服"), state, Self.context(bureau, role: .supervisor))
        state = try Self.apply(.ruleOnObjection(orderAid: true, reason: "应予援助"), state, Self.context(bureau, role: .supervisor))
        #expect(state.phase == .readyForDecision && state.aidOrdered)
        #expect(throws: CommandError.self, "after an order the owner may not deny again") {
            try CaseLifecycle.decide(.decide(granted: false, reason: "no"), on: state, context: Self.context(Self.wulian))
        }
    }

    @Test func anUrgentCaseStartsAidBeforeTheDecision() throws {
        var plain = try Self.apply(Self.submit, CaseState(), Self.context(Self.wulian))
        #expect(throws: CommandError.forbidden(command: "advance-aid", reason: "only an urgent case starts aid before the decision")) {
            try CaseLifecycle.decide(.startAdvanceAid(reason: "r"), on: plain, context: Self.context(Self.wulian))
        }
        plain = try Self.apply(.assess(eligible: true, reason: "ok", missing: []), plain, Self.context(Self.wulian))
        #expect(throws: CommandError.invalidTransition(command: "assign-lawyer", phase: "ready-for-decision"), "no lawyer before the decision without advance aid") {
            try CaseLifecycle.decide(.assignLawyer(lawyer: "甲", firm: "所", chosenByApplicant: false), on: plain, context: Self.context(Self.wulian))
        }

        var state = try Self.apply(Self.urgentSubmit, CaseState(), Self.context(Self.wulian))
        state = try Self.apply(.startAdvanceAid(reason: "诉讼时效将届满"), state, Self.context(Self.wulian))
        state = try Self.apply(.assignLawyer(lawyer: "王律师", firm: "日照某律所", chosenByApplicant: false), state, Self.context(Self.wulian))
        #expect(state.phase == .submitted && state.lawyer == "王律师", "the lawyer works while the formalities follow")
        state = try Self.apply(.assess(eligible: true, reason: "ok", missing: ["身份证复印件"]), state, Self.context(Self.wulian))
        state = try Self.apply(.supplyMaterials(documents: [Self.form]), state, Self.context(Self.wulian))
        #expect(throws: CommandError.self, "a case with a lawyer at work stays where the lawyer is") {
            try CaseLifecycle.decide(.requestTransfer(to: Self.licang, reason: "r"), on: state, context: Self.context(Self.wulian))
        }
        state = try Self.apply(.decide(granted: true, reason: "补正后批准"), state, Self.context(Self.wulian, number: "WULIAN-2026-000001"))
        #expect(state.phase == .lawyerAssigned && state.lawyerDueAt == nil && state.number == "WULIAN-2026-000001")
    }

    @Test func aCertificateBasisRecordsTheRegisterEntryItWasCheckedAgainst() throws {
        let submit = CaseCommand.submit(applicant: Self.zhang, matter: Self.matter, urgent: false, hardship: .certificate(id: "c-1"), documents: [], consent: Self.consented)
        #expect(throws: CommandError.validation(field: "hardship.certificateId", reason: "the certificate was not checked against the register")) {
            try CaseLifecycle.decide(submit, on: CaseState(), context: Self.context(Self.wulian))
        }
        var context = Self.context(Self.wulian)
        let recognition = CertificateRecognition(certificateId: "c-1", issuingNode: NodeID(rawValue: "weihai")!, issuingEventHash: String(repeating: "0f", count: 32))
        context.recognisedCertificate = recognition
        let events = try CaseLifecycle.decide(submit, on: CaseState(), context: context)
        guard case .applicationSubmitted(let submitted) = events.first else { Issue.record("expected a submission"); return }
        #expect(submitted.recognisedCertificate == recognition)
    }

    @Test func eventsRoundTripThroughTheirEnvelopeBodies() throws {
        var state = CaseState()
        var events: [CaseEvent] = []
        for (command, centre, number) in [(Self.submit, Self.wulian, nil), (.assess(eligible: true, reason: "ok", missing: []), Self.wulian, nil),
                                          (.decide(granted: true, reason: "ok"), Self.wulian, "WULIAN-2026-000001")] as [(CaseCommand, CentreID, String?)] {
            let produced = try CaseLifecycle.decide(command, on: state, context: Self.context(centre, number: number))
            events += produced
            state = produced.reduce(state, CaseLifecycle.evolve)
        }
        let decoded = try events.map { event in try #require(try CaseEvent(type: event.type, body: try event.body())) }
        #expect(decoded == events)
        #expect(CaseState(replaying: decoded) == state)
    }

    /// Event bodies and stored states are built by ``CanonicalJSON/jsonValue(of:)`` without
    /// text; over random histories they equal what Foundation's `JSONEncoder` writes, read back.
    @Test func bodiesAndStatesEncodeAsFoundationsJSONEncoderReadBack() throws {
        func foundation(_ value: some Encodable) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        }
        var generator = SystemRandomNumberGenerator()
        let commands: [CaseCommand] = [
            Self.submit, Self.urgentSubmit, .assess(eligible: true, reason: "ok", missing: []), .assess(eligible: true, reason: "ok", missing: ["x"]),
            .supplyMaterials(documents: [Self.form]), .requestTransfer(to: Self.licang, reason: "r"), .acceptTransfer,
            .returnTransfer(code: .other, reason: "r"), .decide(granted: true, reason: "ok"), .decide(granted: false, reason: "no"),
            .fileObjection(reason: "o"), .ruleOnObjection(orderAid: true, reason: "r"), .startAdvanceAid(reason: "开庭在即"),
            .assignLawyer(lawyer: "甲", firm: "所", chosenByApplicant: true), .collectOriginals, .close(outcome: "o", recoveredAmount: 1234),
        ]
        var compared = 0
        for _ in 0..<200 {
            var state = CaseState()
            for _ in 0..<30 {
                let centre = [Self.wulian, Self.licang].randomElement(using: &generator)!
                guard let events = try? CaseLifecycle.decide(commands.randomElement(using: &generator)!, on: state, context: Self.context(centre, number: "N-1"))
                else { continue }
                for event in events {
                    // The event's body struct, its associated value.
                    let payload = try #require(Mirror(reflecting: event).children.first?.value as? any Encodable)
                    #expect(try event.body() == (try foundation(payload)), "\(event.type)")
                    state = CaseLifecycle.evolve(state, event)
                }
                #expect(try CanonicalJSON.jsonValue(of: state) == (try foundation(state)))
                compared += 1
            }
        }
        #expect(compared > 200, "most random histories should get past the submission")
        #expect(try CanonicalJSON.jsonValue(of: [1.5, 2.0, -0.25]) == .array([.double(1.5), .integer(2), .double(-0.25)]))
        #expect(throws: EncodingError.self) { try CanonicalJSON.jsonValue(of: Double.infinity) }
    }

    /// Random commands from random centres and roles, many times: whatever is accepted
    /// keeps the case's invariants, and whatever is refused is refused with a typed error.
    @Test func randomCommandSequencesKeepTheInvariants() throws {
        var generator = SystemRandomNumberGenerator()
        let centres = [Self.wulian, Self.licang, Self.huancui, CentreID(rawValue: "rizhao-municipal")!]
        let commands: [CaseCommand] = [
            Self.submit, .assess(eligible: true, reason: "ok", missing: []), .assess(eligible: true, reason: "ok", missing: ["x"]),
            .assess(eligible: false, reason: "no", missing: []), .supplyMaterials(documents: [Self.form]), .deemWithdrawn,
            .requestTransfer(to: Self.licang, reason: "r"), .requestTransfer(to: Self.huancui, reason: "r"), .acceptTransfer,
            .returnTransfer(code: .other, reason: "r"), .decide(granted: true, reason: "ok"), .decide(granted: false, reason: "no"),
            .fileObjection(reason: "o"), .ruleOnObjection(orderAid: true, reason: "r"), .ruleOnObjection(orderAid: false, reason: "r"),
            .assignLawyer(lawyer: "甲", firm: "所", chosenByApplicant: true), .changeLawyer(lawyer: "乙", firm: "所", reason: "r"),
            .collectOriginals, .close(outcome: "o", recoveredAmount: 0), .archive, .recordFollowUp(satisfied: false, note: ""),
            Self.urgentSubmit, .startAdvanceAid(reason: "开庭在即"),
        ]
        for _ in 0..<300 {
            var state = CaseState()
            var history: [CaseEvent] = []
            var now = Self.start
            for _ in 0..<60 {
                now = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64.random(in: 0...4 * 86_400_000, using: &generator))
                let centre = Bool.random(using: &generator) ? nil : centres.randomElement(using: &generator)
                let context = Self.context(centre, at: now, role: Int.random(in: 0..<4, using: &generator) == 0 ? .supervisor : .staff,
                                           number: "N-\(history.count)")
                let before = state
                do {
                    let events = try CaseLifecycle.decide(commands.randomElement(using: &generator)!, on: state, context: context)
                    #expect(events.count == 1)
                    history += events
                    state = events.reduce(state, CaseLifecycle.evolve)
                } catch {
                    #expect(state == before, "a refused command must change nothing")
                }
                #expect((state.transferTarget != nil) == (state.phase == .transferPending))
                let afterGrant: Set<CaseState.Phase> = [.granted, .lawyerAssigned, .closed, .archived]
                #expect((state.number != nil) == afterGrant.contains(state.phase), "a case has a number exactly when aid was granted")
                #expect(state.phase == .new || state.owner != nil)
                #expect(state.lawyer == nil || state.advanceAid || [.lawyerAssigned, .closed, .archived].contains(state.phase))
                if state.phase != .new {
                    // Invariant 5: whatever the state, at most one node may write the next event.
                    var writers: Set<NodeID> = []
                    for command in commands {
                        for centre in centres {
                            for role in [CaseContext.Role.staff, .supervisor] where (try? CaseLifecycle.decide(command, on: state, context: Self.context(centre, at: now, role: role, number: "N"))) != nil {
                                writers.insert(centre.node)
                            }
                        }
                    }
                    #expect(writers.count <= 1, "one writer per stream, but \(writers) could all write in \(state.phase)")
                    if state.phase == .transferPending { #expect(writers.isSubset(of: [state.transferTarget!.node])) }
                    // Imports judge other nodes' events by `writingNode`: it must name that one writer.
                    #expect(writers.isSubset(of: Set([state.writingNode].compactMap { $0 })), "\(writers) could write, writingNode says \(String(describing: state.writingNode))")
                }
                #expect(state.phase != .archived || state.originalsCollected)
            }
            #expect(CaseState(replaying: history) == state, "the state must be a function of the events")
        }
    }
}

import CaseDomain
import Testing

@Suite("Investigation requests and hardship certificates")
struct InvestigationAndCertificateTests {
    static let licang = CentreID(rawValue: "qingdao-licang")!
    static let huancui = CentreID(rawValue: "weihai-huancui")!
    static let wulian = CentreID(rawValue: "rizhao-wulian")!
    static let now = Timestamp(iso8601: "2026-11-24T02:00:00Z")!

    static func actor(_ centre: CentreID) -> Actor { Actor(centre: centre, staff: "staff-1") }

    static func apply(_ command: Investigation.Command, _ state: Investigation.State, by centre: CentreID) throws -> Investigation.State {
        try Investigation.decide(command, on: state, now: now, actor: actor(centre)).reduce(state, Investigation.evolve)
    }

    @Test func huancuiNumbersAssignsAndReportsLicangAcknowledges() throws {
        var state = try Self.apply(.request(caseStream: "case-1", toCentre: Self.huancui, questions: ["车辆所属公司的登记信息"], dueDays: 10), .init(), by: Self.licang)
        #expect(state.phase == .requested && state.reportDueAt == Timestamp(iso8601: "2026-12-04T02:00:00Z"))
        #expect(throws: CommandError.self, "the requester cannot accept its own request") {
            try Investigation.decide(.accept(number: "HUANCUI-X-2026-000001"), on: state, now: Self.now, actor: Self.actor(Self.licang))
        }
        state = try Self.apply(.accept(number: "HUANCUI-X-2026-000001"), state, by: Self.huancui)
        state = try Self.apply(.assignLawyer(lawyer: "王律师", firm: "威海某律所"), state, by: Self.huancui)
        #expect(throws: CommandError.self, "only the requester acknowledges") {
            try Investigation.decide(.acknowledge, on: state, now: Self.now, actor: Self.actor(Self.huancui))
        }
        state = try Self.apply(.report(findings: "公司登记在环翠区", documents: []), state, by: Self.huancui)
        #expect(throws: CommandError.forbidden(command: "acknowledge-findings", reason: "only the requesting centre qingdao-licang may do this")) {
            try Investigation.decide(.acknowledge, on: state, now: Self.now, actor: Self.actor(Self.wulian))
        }
        state = try Self.apply(.acknowledge, state, by: Self.licang)
        #expect(state.phase == .acknowledged && state.number == "HUANCUI-X-2026-000001" && state.version == 5)
    }

    @Test func aDeclinedRequestTakesNoFurtherAnswer() throws {
        var state = try Self.apply(.request(caseStream: "case-1", toCentre: Self.huancui, questions: ["q"], dueDays: 5), .init(), by: Self.licang)
        state = try Self.apply(.decline(reason: "不属本地"), state, by: Self.huancui)
        #expect(throws: CommandError.invalidTransition(command: "assign-investigation-lawyer", phase: "declined")) {
            try Investigation.decide(.assignLawyer(lawyer: "x", firm: "y"), on: state, now: Self.now, actor: Self.actor(Self.huancui))
        }
    }

    @Test func investigationEventsRoundTrip() throws {
        let events = try Investigation.decide(.request(caseStream: "case-1", toCentre: Self.huancui, questions: ["q"], dueDays: 5),
                                              on: .init(), now: Self.now, actor: Self.actor(Self.licang))
        let decoded = try events.map { try #require(try Investigation.Event(type: $0.type, body: try $0.body())) }
        #expect(decoded == events)
    }

    @Test func aCertificateIsRecognisedUntilRevokedOrExpired() throws {
        let until = Timestamp(iso8601: "2027-11-24T00:00:00Z")!
        let issue = HardshipCertificate.Command.issue(holderName: "张某", idNumber: "371121198001011234", basis: "低保户",
                                                      standard: "日照市低保标准", validUntil: until)
        var state = try HardshipCertificate.decide(issue, on: .init(), now: Self.now, actor: Self.actor(Self.wulian))
            .reduce(HardshipCertificate.State(), HardshipCertificate.evolve)
        try state.recognise(at: Self.now)
        #expect(state.status(at: Timestamp(iso8601: "2027-12-01T00:00:00Z")!) == .expired)
        #expect(throws: CommandError.self, "another city recognises, it does not revoke") {
            try HardshipCertificate.decide(.revoke(reason: "x"), on: state, now: Self.now, actor: Self.actor(Self.licang))
        }
        let revocation = try HardshipCertificate.decide(.revoke(reason: "收入已超标"), on: state, now: Self.now, actor: Self.actor(Self.wulian))
        state = revocation.reduce(state, HardshipCertificate.evolve)
        #expect(throws: CommandError.validation(field: "hardship.certificateId", reason: "the certificate was revoked: 收入已超标")) {
            try state.recognise(at: Self.now)
        }
        #expect(throws: CommandError.validation(field: "hardship.certificateId", reason: "no such certificate")) {
            try HardshipCertificate.State().recognise(at: Self.now)
        }
        let decoded = try revocation.map { try #require(try HardshipCertificate.Event(type: $0.type, body: try $0.body())) }
        #expect(decoded == revocation)
    }

    /// Random commands from random centres: whatever is accepted leaves one writer per
    /// state (the target while it answers, the requester to acknowledge), and the state is
    /// always the fold of the accepted events.
    @Test func randomInvestigationCommandsKeepOneWriterAndReplayToTheSameState() throws {
        var generator = SystemRandomNumberGenerator()
        let centres = [Self.licang, Self.huancui, Self.wulian]
        let commands: [Investigation.Command] = [
            .request(caseStream: "case-1", toCentre: Self.huancui, questions: ["q"], dueDays: 7), .accept(number: "N"),
            .decline(reason: "r"), .assignLawyer(lawyer: "l", firm: "f"), .report(findings: "f", documents: []), .acknowledge,
        ]
        for _ in 0..<300 {
            var state = Investigation.State()
            var history: [Investigation.Event] = []
            for _ in 0..<20 {
                let before = state
                do {
                    let events = try Investigation.decide(commands.randomElement(using: &generator)!, on: state, now: Self.now,
                                                          actor: Self.actor(centres.randomElement(using: &generator)!))
                    history += events
                    state = events.reduce(state, Investigation.evolve)
                } catch {
                    #expect(state == before)
                }
                guard state.phase != .new else { continue }
                let writers = Set(commands.flatMap { command in
                    centres.filter { (try? Investigation.decide(command, on: state, now: Self.now, actor: Self.actor($0))) != nil }
                })
                #expect(writers.count <= 1, "one writer per request, but \(writers) could write in \(state.phase)")
                #expect(Set(writers.map(\.node)).isSubset(of: Set([state.writingNode].compactMap { $0 })), "imports judge by writingNode")
                switch state.phase {
                case .requested, .accepted, .lawyerAssigned: #expect(writers == [state.target!])
                case .reported: #expect(writers == [state.requester!])
                default: #expect(writers.isEmpty, "\(state.phase) is final")
                }
                #expect((state.number != nil) == [.accepted, .lawyerAssigned, .reported, .acknowledged].contains(state.phase))
            }
            #expect(Investigation.State(replaying: history) == state)
        }
    }
}

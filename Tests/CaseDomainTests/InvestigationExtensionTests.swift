import CaseDomain
import Testing

/// Cooperation deadlines: the requested centre asks for more days, the requester decides;
/// a grant moves the due date by the days asked, one extension waits at a time.
@Suite("Investigation extensions")
struct InvestigationExtensionTests {
    typealias T = InvestigationAndCertificateTests

    static func accepted() throws -> Investigation.State {
        let requested = try T.apply(.request(caseStream: "case-1", toCentre: T.huancui, questions: ["车辆登记"], dueDays: 10), .init(), by: T.licang)
        return try T.apply(.accept(number: "HUANCUI-XC-2026-000001"), requested, by: T.huancui)
    }

    static func decide(_ granted: Bool, _ state: Investigation.State, by centre: CentreID, recordedAs recorder: Actor = .system) throws -> Investigation.State {
        let command = Investigation.Command.decideExtension(granted: granted, reason: "同意", requestedBy: T.actor(centre))
        return try Investigation.decide(command, on: state, now: T.now, actor: recorder).reduce(state, Investigation.evolve)
    }

    @Test func aGrantMovesTheDueDateByTheDaysAsked() throws {
        var state = try Self.accepted()
        #expect(state.reportDueAt == Timestamp(iso8601: "2026-12-04T02:00:00Z"))
        state = try T.apply(.requestExtension(days: 7, reason: "需调取档案"), state, by: T.huancui)
        #expect(state.pendingExtensionDays == 7 && state.reportDueAt == Timestamp(iso8601: "2026-12-04T02:00:00Z"), "nothing moves before the decision")
        #expect(throws: CommandError.forbidden(command: "request-extension", reason: "an extension is already waiting for the requester's decision")) {
            try T.apply(.requestExtension(days: 3, reason: "再延"), state, by: T.huancui)
        }
        state = try Self.decide(true, state, by: T.licang)
        #expect(state.pendingExtensionDays == nil && state.reportDueAt == Timestamp(iso8601: "2026-12-11T02:00:00Z"))

        // A refusal keeps the date in force; the next request may follow.
        state = try T.apply(.requestExtension(days: 30, reason: "仍需时间"), state, by: T.huancui)
        state = try Self.decide(false, state, by: T.licang)
        #expect(state.pendingExtensionDays == nil && state.reportDueAt == Timestamp(iso8601: "2026-12-11T02:00:00Z"))
    }

    @Test func extensionsAreBoundedInAllByDaysAndByAsks() throws {
        var state = try Self.accepted()
        state = try T.apply(.requestExtension(days: 50, reason: "需调取档案"), state, by: T.huancui)
        state = try Self.decide(true, state, by: T.licang)
        #expect(throws: CommandError.validation(field: "days", reason: "at most 10 more: a request's due date moves by 60 days in all, 50 granted")) {
            try T.apply(.requestExtension(days: 11, reason: "再延"), state, by: T.huancui)
        }
        state = try T.apply(.requestExtension(days: 10, reason: "再延"), state, by: T.huancui)
        state = try Self.decide(false, state, by: T.licang)
        #expect(state.grantedExtensionDays == 50, "a refusal grants nothing")
        state = try T.apply(.requestExtension(days: 1, reason: "最后一次"), state, by: T.huancui)
        state = try Self.decide(false, state, by: T.licang)
        #expect(throws: CommandError.forbidden(command: "request-extension", reason: "a request may be extended at most 3 times")) {
            try T.apply(.requestExtension(days: 1, reason: "第四次"), state, by: T.huancui)
        }
    }

    @Test func onlyTheRequestedCentreAsksAndOnlyTheRequesterDecides() throws {
        let accepted = try Self.accepted()
        #expect(throws: CommandError.forbidden(command: "request-extension", reason: "only the requested centre weihai-huancui may do this")) {
            try T.apply(.requestExtension(days: 5, reason: "x"), accepted, by: T.licang)
        }
        let pending = try T.apply(.requestExtension(days: 5, reason: "x"), accepted, by: T.huancui)
        #expect(throws: CommandError.forbidden(command: "decide-extension", reason: "only the requesting centre qingdao-licang decides an extension")) {
            try Self.decide(true, pending, by: T.huancui)
        }
        #expect(throws: CommandError.forbidden(command: "decide-extension", reason: "only the requesting centre qingdao-licang decides an extension")) {
            try Self.decide(true, pending, by: T.wulian)
        }
        // Recorded by the requested centre's node as the system, never as a centre's staff.
        #expect(throws: CommandError.self) { try Self.decide(true, pending, by: T.licang, recordedAs: T.actor(T.huancui)) }
        #expect(throws: CommandError.invalidTransition(command: "decide-extension", phase: "accepted")) {
            try Self.decide(true, accepted, by: T.licang)
        }
    }

    static let badDays = [0, -1, Investigation.extensionDays + 1, Int.max, Int.min]

    @Test func daysAndReasonAndPhaseAreChecked() throws {
        let accepted = try Self.accepted()
        for days in Self.badDays {
            #expect(throws: CommandError.validation(field: "days", reason: "between 1 and \(Investigation.extensionDays)"), "\(days)") {
                try T.apply(.requestExtension(days: days, reason: "x"), accepted, by: T.huancui)
            }
        }
        #expect(throws: CommandError.validation(field: "reason", reason: "must not be empty")) {
            try T.apply(.requestExtension(days: 3, reason: " \n"), accepted, by: T.huancui)
        }
        let requested = try T.apply(.request(caseStream: "case-1", toCentre: T.huancui, questions: ["q"], dueDays: 10), .init(), by: T.licang)
        #expect(throws: CommandError.invalidTransition(command: "request-extension", phase: "requested"), "accept or decline first") {
            try T.apply(.requestExtension(days: 3, reason: "x"), requested, by: T.huancui)
        }
        // Findings end the clock, and with it a pending extension.
        var state = try T.apply(.requestExtension(days: 3, reason: "x"), accepted, by: T.huancui)
        state = try T.apply(.assignLawyer(lawyer: "王律师", firm: "威海某所"), state, by: T.huancui)
        state = try T.apply(.report(findings: "已查明", documents: []), state, by: T.huancui)
        #expect(state.pendingExtensionDays == nil)
        #expect(throws: CommandError.invalidTransition(command: "decide-extension", phase: "reported")) { try Self.decide(true, state, by: T.licang) }
    }

    @Test func theEventsReadBackAsWritten() throws {
        let accepted = try Self.accepted()
        let asked = try Investigation.decide(.requestExtension(days: 7, reason: "需调取档案"), on: accepted, now: T.now, actor: T.actor(T.huancui))
        let pending = asked.reduce(accepted, Investigation.evolve)
        let decided = try Investigation.decide(.decideExtension(granted: true, reason: "同意", requestedBy: T.actor(T.licang)), on: pending,
                                               now: T.now, actor: .system)
        for event in asked + decided {
            #expect(try Investigation.Event(type: event.type, body: try event.body()) == event)
        }
        #expect(asked.map(\.type) == ["InvestigationExtensionRequested"] && decided.map(\.type) == ["InvestigationExtensionDecided"])
        #expect(PersonalPaths.paths(ofType: "InvestigationExtensionRequested").map(\.dotted) == ["reason"], "the reason is sealed")
        #expect(PersonalPaths.paths(ofType: "InvestigationExtensionDecided").map(\.dotted) == ["reason"])
    }
}

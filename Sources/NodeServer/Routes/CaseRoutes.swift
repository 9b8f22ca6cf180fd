import CaseDomain
import Casework
import Hummingbird

/// `/v1/cases`: submitting an application and every step of its lifecycle, the case view
/// and its timeline. Handlers decode, hand the command to the workflow, encode.
struct CaseRoutes {
    let workflow: Workflow
    let views: Views

    struct Submission: Decodable {
        struct ApplicantInput: Decodable {
            var name: String
            var idNumber: String
            var phone: String
            var homeCity: NodeID
            var groups: [String]?
        }
        struct HardshipInput: Decodable {
            enum Basis: String, Decodable { case certificate, exempt, promise }
            var basis: Basis
            var certificateId: String?
            var group: String?
            var statement: String?
        }
        var applicant: ApplicantInput
        var matter: Matter
        var urgent: Bool?
        var hardship: HardshipInput
        var documents: [Document]?
        /// What the applicant consented to; absent, nothing was (a transfer then needs a legal basis).
        var consent: Consent?

        func command() throws(Problem) -> CaseCommand {
            let basis: HardshipBasis
            switch hardship.basis {
            case .certificate:
                guard let id = hardship.certificateId else { throw Problem.invalid("hardship.certificateId", "is required for basis 'certificate'") }
                basis = .certificate(id: id)
            case .exempt:
                guard let group = hardship.group else { throw Problem.invalid("hardship.group", "is required for basis 'exempt'") }
                basis = .exempt(group: group)
            case .promise:
                guard let statement = hardship.statement else { throw Problem.invalid("hardship.statement", "is required for basis 'promise'") }
                basis = .promise(statement: statement)
            }
            let applicant = Applicant(name: applicant.name, idNumber: applicant.idNumber, phone: applicant.phone,
                                      homeCity: applicant.homeCity, groups: applicant.groups ?? [])
            return .submit(applicant: applicant, matter: matter, urgent: urgent ?? false, hardship: basis, documents: documents ?? [],
                           consent: consent ?? Consent(shareWithJurisdiction: false, checksByOtherCities: false))
        }
    }

    struct Versioned: Decodable { var expectedVersion: Int64 }
    struct Assessment: Decodable { var expectedVersion: Int64; var eligible: Bool; var reason: String; var missing: [String]? }
    struct Materials: Decodable { var expectedVersion: Int64; var documents: [Document] }
    struct Transfer: Decodable { var expectedVersion: Int64; var toCentre: CentreID; var reason: String; var legalBasis: String? }
    struct Reasoned: Decodable { var expectedVersion: Int64; var reason: String }
    /// A return's `reasonCode` defaults to `other` (DESIGN.md's contract names only `reason`).
    struct TransferReturn: Decodable { var expectedVersion: Int64; var reasonCode: TransferReturnCode?; var reason: String }
    /// With the conflict check's findings, `conflictReason` says why the centre goes ahead.
    struct Decision: Decodable { var expectedVersion: Int64; var granted: Bool; var reason: String; var conflictReason: String? }
    struct Acceptance: Decodable { var expectedVersion: Int64; var conflictReason: String? }
    struct Ruling: Decodable { var expectedVersion: Int64; var orderAid: Bool; var reason: String }
    /// A lawyer picked from the centre's roster (`lawyerId`), or named (`lawyer`, `firm`) when
    /// the centre keeps none; `chosenByApplicant` records the applicant's own pick (点援制).
    struct Lawyer: Decodable { var expectedVersion: Int64; var lawyerId: String?; var lawyer: String?; var firm: String?; var chosenByApplicant: Bool? }
    /// A change of lawyer, from the roster as an assignment is.
    struct LawyerChange: Decodable { var expectedVersion: Int64; var lawyerId: String?; var lawyer: String?; var firm: String?; var reason: String }
    struct Closing: Decodable { var expectedVersion: Int64; var outcome: String; var recoveredAmount: Int64 }
    struct FollowUp: Decodable { var expectedVersion: Int64; var satisfied: Bool; var note: String? }
    struct InvestigationRequest: Decodable {
        var toCentre: CentreID
        var questions: [String]
        var dueDays: Int
        /// The personal data shared with the requested centre (`name`, `idNumber`, `phone`, `summary`).
        var shares: [PersonalField]?
        var legalBasis: String?
    }

    func add(to group: RouterGroup<NodeRequestContext>) {
        group.post(RouterPath(CaseCommand.Kind.submit.route)) { request, context in
            let submission = try await request.decodeJSON(as: Submission.self, context: context)
            let result = try await workflow.submit(try submission.command(), by: try context.requireStaff())
            return JSONResponse(.created, result.json(idKey: "caseId"))
        }
        group.get("cases/{id}") { _, context in
            JSONResponse(try await views.caseView(try context.parameters.require("id"), for: try context.requireStaff()))
        }
        group.get("cases/{id}/timeline") { _, context in
            let id = try context.parameters.require("id")
            let entries = try await views.timeline(id, for: try context.requireStaff())
            return JSONResponse(["caseId": JSONValue.string(id.lowercased()), "events": try CanonicalJSON.jsonValue(of: entries)])
        }

        command(.assess, Assessment.self, group) { .assess(eligible: $0.eligible, reason: $0.reason, missing: $0.missing ?? []) }
        command(.supplyMaterials, Materials.self, group) { .supplyMaterials(documents: $0.documents) }
        command(.deemWithdrawn, Versioned.self, group) { _ in .deemWithdrawn }
        command(.startAdvanceAid, Reasoned.self, group) { .startAdvanceAid(reason: $0.reason) }
        command(.requestTransfer, Transfer.self, group) { .requestTransfer(to: $0.toCentre, reason: $0.reason, legalBasis: $0.legalBasis) }
        command(.erase, Reasoned.self, group) { .erase(reason: $0.reason) }
        command(.acceptTransfer, Acceptance.self, group) { _ in .acceptTransfer }
        command(.returnTransfer, TransferReturn.self, group) { .returnTransfer(code: $0.reasonCode ?? .other, reason: $0.reason) }
        command(.decide, Decision.self, group) { .decide(granted: $0.granted, reason: $0.reason) }
        command(.fileObjection, Reasoned.self, group) { .fileObjection(reason: $0.reason) }
        command(.ruleOnObjection, Ruling.self, group) { .ruleOnObjection(orderAid: $0.orderAid, reason: $0.reason) }
        group.post(RouterPath(CaseCommand.Kind.assignLawyer.route)) { request, context in
            let input = try await request.decodeJSON(as: Lawyer.self, context: context)
            let staff = try context.requireStaff()
            let caseID = try context.parameters.require("id")
            let (lawyer, firm) = try await workflow.assignee(on: caseID, for: .assignLawyer, lawyerID: input.lawyerId, lawyer: input.lawyer,
                                                             firm: input.firm, by: staff)
            let result = try await workflow.act(on: caseID, expectedVersion: input.expectedVersion,
                                               .assignLawyer(lawyer: lawyer, firm: firm, chosenByApplicant: input.chosenByApplicant ?? false), by: staff)
            return JSONResponse(result.json(idKey: "caseId"))
        }
        group.post(RouterPath(CaseCommand.Kind.changeLawyer.route)) { request, context in
            let input = try await request.decodeJSON(as: LawyerChange.self, context: context)
            let staff = try context.requireStaff()
            let caseID = try context.parameters.require("id")
            let (lawyer, firm) = try await workflow.assignee(on: caseID, for: .changeLawyer, lawyerID: input.lawyerId, lawyer: input.lawyer,
                                                             firm: input.firm, by: staff)
            let result = try await workflow.act(on: caseID, expectedVersion: input.expectedVersion,
                                               .changeLawyer(lawyer: lawyer, firm: firm, reason: input.reason), by: staff)
            return JSONResponse(result.json(idKey: "caseId"))
        }
        command(.collectOriginals, Versioned.self, group) { _ in .collectOriginals }
        command(.close, Closing.self, group) { .close(outcome: $0.outcome, recoveredAmount: $0.recoveredAmount) }
        command(.archive, Versioned.self, group) { _ in .archive }
        command(.recordFollowUp, FollowUp.self, group) { .recordFollowUp(satisfied: $0.satisfied, note: $0.note ?? "") }

        group.post("cases/{id}/investigations") { request, context in
            let input = try await request.decodeJSON(as: InvestigationRequest.self, context: context)
            let result = try await workflow.requestInvestigation(
                for: try context.parameters.require("id"), toCentre: input.toCentre, questions: input.questions,
                dueDays: input.dueDays, shares: input.shares ?? [], legalBasis: input.legalBasis, by: try context.requireStaff())
            return JSONResponse(.created, result.json(idKey: "investigationId"))
        }
    }

    /// `POST /v1/<kind's route>`: a command on an existing case at `expectedVersion`.
    private func command<Input: Decodable & Sendable>(
        _ kind: CaseCommand.Kind, _: Input.Type, _ group: RouterGroup<NodeRequestContext>,
        _ makeCommand: @escaping @Sendable (Input) -> CaseCommand
    ) where Input: HasExpectedVersion {
        group.post(RouterPath(kind.route)) { request, context in
            let input = try await request.decodeJSON(as: Input.self, context: context)
            let result = try await workflow.act(on: try context.parameters.require("id"), expectedVersion: input.expectedVersion,
                                               makeCommand(input), by: try context.requireStaff(), conflictReason: input.conflictReason)
            return JSONResponse(result.json(idKey: "caseId"))
        }
    }
}

/// A write body that names the version it expects the record to be at.
protocol HasExpectedVersion {
    var expectedVersion: Int64 { get }
    /// Why the centre goes ahead despite the conflict check's findings; only acceptances and decisions carry one.
    var conflictReason: String? { get }
}

extension HasExpectedVersion {
    var conflictReason: String? { nil }
}

extension CaseRoutes.Versioned: HasExpectedVersion {}
extension CaseRoutes.Assessment: HasExpectedVersion {}
extension CaseRoutes.Materials: HasExpectedVersion {}
extension CaseRoutes.Transfer: HasExpectedVersion {}
extension CaseRoutes.Reasoned: HasExpectedVersion {}
extension CaseRoutes.TransferReturn: HasExpectedVersion {}
extension CaseRoutes.Decision: HasExpectedVersion {}
extension CaseRoutes.Acceptance: HasExpectedVersion {}
extension CaseRoutes.Ruling: HasExpectedVersion {}
extension CaseRoutes.Lawyer: HasExpectedVersion {}
extension CaseRoutes.LawyerChange: HasExpectedVersion {}
extension CaseRoutes.Closing: HasExpectedVersion {}
extension CaseRoutes.FollowUp: HasExpectedVersion {}

import Foundation

/// The whole lifecycle of a case in one place: `decide` says what a command makes happen,
/// `evolve` is the only way a case changes. No I/O, no clock: time, actor and policies
/// come in through ``CaseContext``.
public enum CaseLifecycle {
    /// The events `command` produces on `state`, or why it is refused (then nothing is written).
    public static func decide(_ command: CaseCommand, on state: CaseState, context: CaseContext) throws(CommandError) -> [CaseEvent] {
        let name = command.name
        func require(_ phases: CaseState.Phase...) throws(CommandError) {
            guard phases.contains(state.phase) else { throw .invalidTransition(command: name, phase: state.phase.rawValue) }
        }
        func requireOwner() throws(CommandError) {
            guard let owner = state.owner, context.actor.centre == owner else {
                throw .forbidden(command: name, reason: "only the owning centre \(state.owner?.rawValue ?? "-") may do this")
            }
        }
        func policy(of centre: CentreID) throws(CommandError) -> CityPolicy {
            guard let policy = context.policies[centre.node] else {
                throw .validation(field: "centre", reason: "no policy for city '\(centre.node)' in the federation")
            }
            return policy
        }

        guard !state.erased else { throw .invalidTransition(command: name, phase: "\(state.phase.rawValue) (erased)") }
        switch command {
        case .submit(let applicant, let matter, let urgent, let hardship, let documents, let consent):
            try require(.new)
            guard let intake = context.actor.centre else { throw .forbidden(command: name, reason: "an application is submitted at a centre") }
            try validate(applicant)
            try CommandError.requireText(matter.cause, "matter.cause")
            try CommandError.requireText(matter.venue, "matter.venue")
            if let adverse = matter.adverseParty { try validate(adverse) }
            try validate(documents, field: "documents")
            switch hardship {
            case .exempt(let group):
                guard try policy(of: intake).exemptGroups.contains(group) else {
                    throw .validation(field: "hardship.group", reason: "'\(group)' is not exempt from the hardship review in \(intake.node)")
                }
                guard applicant.groups.contains(group) else {
                    throw .validation(field: "hardship.group", reason: "the applicant is not tagged '\(group)'")
                }
            case .certificate(let id):
                try CommandError.requireText(id, "hardship.certificateId")
                guard context.recognisedCertificate?.certificateId == id else {
                    throw .validation(field: "hardship.certificateId", reason: "the certificate was not checked against the register")
                }
            case .promise(let statement): try CommandError.requireText(statement, "hardship.statement")
            }
            let recognition: CertificateRecognition? = if case .certificate = hardship { context.recognisedCertificate } else { nil }
            return [.applicationSubmitted(.init(intakeCentre: intake, applicant: applicant, matter: matter, urgent: urgent,
                                                hardship: hardship, recognisedCertificate: recognition, documents: documents, consent: consent,
                                                parties: context.parties))]

        case .assess(let eligible, let reason, let missing):
            try require(.submitted)
            try requireOwner()
            try CommandError.requireText(reason, "reason")
            let owner = state.owner!
            let policy = try policy(of: owner)
            let complete = missing.isEmpty
            return [.applicationAssessed(.init(
                eligible: eligible, reason: reason, missing: missing,
                materialsDueAt: eligible && !complete ? policy.deadline(after: context.now, days: policy.materialsDays) : nil,
                decisionDueAt: eligible && complete && owner == state.jurisdictionCentre ? policy.deadline(after: context.now, days: policy.decisionDays) : nil
            ))]

        case .supplyMaterials(let documents):
            try require(.awaitingMaterials)
            try requireOwner()
            guard !documents.isEmpty else { throw .validation(field: "documents", reason: "supply at least one document") }
            try validate(documents, field: "documents")
            let owner = state.owner!
            let policy = try policy(of: owner)
            return [.materialsSupplied(.init(
                documents: documents,
                decisionDueAt: owner == state.jurisdictionCentre ? policy.deadline(after: context.now, days: policy.decisionDays) : nil
            ))]

        case .deemWithdrawn:
            try require(.awaitingMaterials)
            guard context.actor.centre == nil || context.actor.centre == state.owner else {
                throw .forbidden(command: name, reason: "only the system or the owning centre deems an application withdrawn")
            }
            guard let due = state.materialsDueAt, context.now > due else {
                throw .forbidden(command: name, reason: "the materials are not overdue (due \(state.materialsDueAt?.description ?? "-"))")
            }
            return [.applicationWithdrawn(.init(reason: "materials not supplied by \(due)"))]

        case .startAdvanceAid(let reason):
            try require(.submitted, .awaitingMaterials, .readyForDecision)
            try requireOwner()
            guard state.urgent else { throw .forbidden(command: name, reason: "only an urgent case starts aid before the decision") }
            guard !state.advanceAid else { throw .invalidTransition(command: name, phase: "\(state.phase.rawValue) (advance aid already started)") }
            try CommandError.requireText(reason, "reason")
            return [.advanceAidStarted(.init(reason: reason))]

        case .requestTransfer(let target, let reason, let legalBasis):
            try require(.readyForDecision)
            try requireOwner()
            try CommandError.requireText(reason, "reason")
            try state.requireConsent(.shareWithJurisdiction, for: name, legalBasis: legalBasis)
            guard target != state.owner else { throw .validation(field: "toCentre", reason: "a case cannot be transferred to its own centre") }
            guard state.lawyer == nil else {
                throw .forbidden(command: name, reason: "a lawyer already gives advance aid on this case; it stays with \(state.owner!.rawValue)")
            }
            let answering = try policy(of: target)
            return [.transferRequested(.init(fromCentre: state.owner!, toCentre: target, reason: reason, legalBasis: legalBasis,
                                             answerDueAt: answering.deadline(after: context.now, days: answering.transferAnswer)))]

        case .acceptTransfer, .returnTransfer:
            try require(.transferPending)
            guard let target = state.transferTarget, context.actor.centre == target else {
                throw .forbidden(command: name, reason: "only the receiving centre \(state.transferTarget?.rawValue ?? "-") may answer the transfer")
            }
            if case .returnTransfer(let code, let reason) = command {
                try CommandError.requireText(reason, "reason")
                return [.transferReturned(.init(centre: target, reasonCode: code, reason: reason))]
            }
            let policy = try policy(of: target)
            return [.transferAccepted(.init(centre: target, decisionDueAt: policy.deadline(after: context.now, days: policy.decisionDays),
                                            conflictReason: context.conflictReason))]

        case .cancelTransfer(let reason, let requester):
            try require(.transferPending)
            guard let owner = state.owner, requester.centre == owner else {
                throw .forbidden(command: name, reason: "only the sending centre \(state.owner?.rawValue ?? "-") may cancel the transfer")
            }
            guard context.actor.centre == nil else {
                throw .forbidden(command: name, reason: "a cancellation is recorded by the receiving centre's node, on the sender's request")
            }
            try CommandError.requireText(requester.staff, "staff")
            try CommandError.requireText(reason, "reason")
            return [.transferCancelled(.init(centre: owner, staff: requester.staff, reason: reason))]

        case .decide(let granted, let reason):
            try require(.readyForDecision)
            try requireOwner()
            try CommandError.requireText(reason, "reason")
            guard granted || !state.aidOrdered else {
                throw .forbidden(command: name, reason: "the justice bureau ordered aid after an objection")
            }
            guard granted else { return [.aidDecided(.init(granted: false, reason: reason, number: nil, lawyerDueAt: nil, conflictReason: context.conflictReason))] }
            guard let number = context.allottedNumber, !number.isEmpty else {
                throw .validation(field: "number", reason: "a grant needs the case number allotted by the centre")
            }
            let policy = try policy(of: state.owner!)
            // An urgent case's lawyer may already be at work (advance aid): nothing more is due.
            let lawyerDue = state.lawyer == nil ? policy.deadline(after: context.now, days: policy.lawyerAssignmentDays) : nil
            return [.aidDecided(.init(granted: true, reason: reason, number: number, lawyerDueAt: lawyerDue, conflictReason: context.conflictReason))]

        case .fileObjection(let reason), .ruleOnObjection(_, let reason):
            if case .fileObjection = command { try require(.refused) } else { try require(.objectionPending) }
            guard context.role == .supervisor, let owner = state.owner, context.actor.centre?.node == owner.node else {
                throw .forbidden(command: name, reason: "objections are handled by the justice bureau of \(state.owner?.node.rawValue ?? "-")")
            }
            try CommandError.requireText(reason, "reason")
            if case .ruleOnObjection(let orderAid, _) = command {
                return [.objectionRuled(.init(aidOrdered: orderAid, reason: reason))]
            }
            return [.objectionFiled(.init(reason: reason))]

        case .assignLawyer(let lawyer, let firm, let chosenByApplicant):
            if state.advanceAid && state.lawyer == nil && [.submitted, .awaitingMaterials, .readyForDecision].contains(state.phase) {
                // Urgent: the lawyer starts before the decision.
            } else {
                try require(.granted)
            }
            try requireOwner()
            try CommandError.requireText(lawyer, "lawyer")
            try CommandError.requireText(firm, "firm")
            return [.lawyerAssigned(.init(lawyer: lawyer, firm: firm, chosenByApplicant: chosenByApplicant))]

        case .changeLawyer(let lawyer, let firm, let reason):
            try require(.lawyerAssigned)
            try requireOwner()
            try CommandError.requireText(lawyer, "lawyer")
            try CommandError.requireText(firm, "firm")
            try CommandError.requireText(reason, "reason")
            guard lawyer != state.lawyer else { throw .validation(field: "lawyer", reason: "\(lawyer) already has the case") }
            return [.lawyerChanged(.init(lawyer: lawyer, firm: firm, reason: reason))]

        case .collectOriginals:
            try require(.lawyerAssigned, .closed)
            try requireOwner()
            guard !state.originalsCollected else { throw .invalidTransition(command: name, phase: state.phase.rawValue) }
            return [.originalsCollected(.init())]

        case .close(let outcome, let recoveredAmount):
            try require(.lawyerAssigned)
            try requireOwner()
            try CommandError.requireText(outcome, "outcome")
            guard recoveredAmount >= 0 else { throw .validation(field: "recoveredAmount", reason: "must not be negative") }
            // The aided location pays the lawyer subsidy, by its own schedule.
            let payer = state.owner!.node
            let policy = try policy(of: state.owner!)
            return [.caseClosed(.init(outcome: outcome, recoveredAmount: recoveredAmount, subsidyPaidBy: payer,
                                      subsidyAmount: policy.subsidy(forCause: state.cause ?? "")))]

        case .archive:
            try require(.closed)
            try requireOwner()
            guard state.originalsCollected else {
                throw .forbidden(command: name, reason: "the original application and certificate must be collected before archiving")
            }
            return [.caseArchived(.init())]

        case .recordFollowUp(let satisfied, let note):
            try require(.closed, .archived)
            try requireOwner()
            return [.followUpRecorded(.init(satisfied: satisfied, note: note))]

        case .erase(let reason):
            try require(.archived)
            try requireOwner()
            guard context.role == .supervisor else { throw .forbidden(command: name, reason: "only a supervisor of the owning centre erases a case") }
            try CommandError.requireText(reason, "reason")
            let policy = try policy(of: state.owner!)
            guard let archivedAt = context.archivedAt else { throw .invalidTransition(command: name, phase: state.phase.rawValue) }
            let retainedUntil = archivedAt.adding(days: Int64(policy.retention))
            guard context.now >= retainedUntil else {
                throw .forbidden(command: name, reason: "\(state.owner!.node) keeps case files \(policy.retention) days after archiving: not before \(retainedUntil)")
            }
            return [.caseErased(.init(reason: reason))]
        }
    }

    /// The case after `event`. Total: an event that the phase would not have allowed
    /// (only a quarantined import could carry one) still applies what it says.
    public static func evolve(_ state: CaseState, _ event: CaseEvent) -> CaseState {
        var next = state
        next.version += 1
        switch event {
        case .applicationSubmitted(let submitted):
            next.phase = .submitted
            next.intakeCentre = submitted.intakeCentre
            next.owner = submitted.intakeCentre
            next.jurisdictionCentre = submitted.matter.jurisdictionCentre
            next.urgent = submitted.urgent
            next.cause = submitted.matter.cause
            next.consent = submitted.consent
        case .applicationAssessed(let assessed):
            next.phase = !assessed.eligible ? .refused : assessed.missing.isEmpty ? .readyForDecision : .awaitingMaterials
            next.materialsDueAt = assessed.materialsDueAt
            next.decisionDueAt = assessed.decisionDueAt
        case .materialsSupplied(let supplied):
            next.phase = .readyForDecision
            next.materialsDueAt = nil
            next.decisionDueAt = supplied.decisionDueAt
        case .applicationWithdrawn:
            next.phase = .withdrawn
            next.materialsDueAt = nil
        case .advanceAidStarted:
            next.advanceAid = true
        case .transferRequested(let transfer):
            next.phase = .transferPending
            next.transferTarget = transfer.toCentre
        case .transferAccepted(let accepted):
            next.phase = .readyForDecision
            next.owner = accepted.centre
            next.transferTarget = nil
            next.decisionDueAt = accepted.decisionDueAt
        case .transferReturned, .transferCancelled:
            next.phase = .readyForDecision
            next.transferTarget = nil
        case .aidDecided(let decision):
            next.phase = !decision.granted ? .refused : next.lawyer == nil ? .granted : .lawyerAssigned
            next.number = decision.number
            next.decisionDueAt = nil
            next.lawyerDueAt = decision.lawyerDueAt
        case .objectionFiled:
            next.phase = .objectionPending
        case .objectionRuled(let ruling):
            next.phase = ruling.aidOrdered ? .readyForDecision : .refused
            next.aidOrdered = ruling.aidOrdered
        case .lawyerAssigned(let assigned):
            if next.phase == .granted { next.phase = .lawyerAssigned }
            next.lawyer = assigned.lawyer
            next.lawyerFirm = assigned.firm
            next.lawyerDueAt = nil
        case .lawyerChanged(let changed):
            next.lawyer = changed.lawyer
            next.lawyerFirm = changed.firm
        case .originalsCollected:
            next.originalsCollected = true
        case .caseClosed(let closed):
            next.phase = .closed
            next.subsidyPaidBy = closed.subsidyPaidBy
            next.subsidyAmount = closed.subsidyAmount
        case .caseArchived:
            next.phase = .archived
        case .followUpRecorded:
            next.followUps += 1
        case .caseErased:
            next.erased = true
        }
        return next
    }

    private static func validate(_ applicant: Applicant) throws(CommandError) {
        guard !applicant.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .validation(field: "applicant.name", reason: "must not be empty")
        }
        let id = Array(applicant.idNumber.utf8)
        guard id.count == 18, id.prefix(17).allSatisfy({ (0x30...0x39).contains($0) }),
              (0x30...0x39).contains(id[17]) || id[17] == UInt8(ascii: "X")
        else { throw .validation(field: "applicant.idNumber", reason: "expected 18 characters: 17 digits and a digit or X") }
        let phone = Array(applicant.phone.utf8)
        guard phone.count == 11, phone.first == UInt8(ascii: "1"), phone.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .validation(field: "applicant.phone", reason: "expected an 11-digit mobile number")
        }
    }

    /// An adverse party has a name and an 18-character ID number or unified social credit
    /// code (digits and capital letters).
    private static func validate(_ party: AdverseParty) throws(CommandError) {
        try CommandError.requireText(party.name, "matter.adverseParty.name")
        let id = Array(party.id.utf8)
        guard id.count == 18, id.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }) else {
            throw .validation(field: "matter.adverseParty.id", reason: "expected an 18-character ID number or unified social credit code")
        }
    }

    private static func validate(_ documents: [Document], field: String) throws(CommandError) {
        for (index, document) in documents.enumerated() {
            let hex = Array(document.sha256.utf8)
            guard hex.count == 64, hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw .validation(field: "\(field)[\(index)].sha256", reason: "expected 64 lowercase hex digits")
            }
            guard document.size > 0 else { throw .validation(field: "\(field)[\(index)].size", reason: "must be positive") }
            guard !document.name.isEmpty else { throw .validation(field: "\(field)[\(index)].name", reason: "must not be empty") }
        }
    }
}

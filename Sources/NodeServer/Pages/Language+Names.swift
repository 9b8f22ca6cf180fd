import CaseDomain
import Casework

/// What staff read in place of ids and codes: phases and event types in the page's
/// language (the code stays in the markup's `data-` attributes, for tools and tests).
extension Language {
    /// A case's or an investigation request's phase (`transfer-pending`, `reported`, …).
    func phase(_ phase: String) -> String {
        let names: [String: (String, String)] = [
            "new": ("新建", "New"), "submitted": ("待审查", "Submitted"), "awaiting-materials": ("待补充材料", "Awaiting materials"),
            "ready-for-decision": ("待决定", "Ready for decision"), "transfer-pending": ("转交中", "Transfer pending"),
            "refused": ("不予法律援助", "Refused"), "objection-pending": ("异议审查中", "Objection pending"),
            "granted": ("给予法律援助", "Granted"), "lawyer-assigned": ("已指派律师", "Lawyer assigned"), "closed": ("已结案", "Closed"),
            "archived": ("已归档", "Archived"), "withdrawn": ("视为撤回", "Withdrawn"),
            "requested": ("已委托", "Requested"), "accepted": ("已接受", "Accepted"), "reported": ("已报告", "Reported"),
            "acknowledged": ("已确认", "Acknowledged"), "declined": ("已拒绝", "Declined"),
        ]
        guard let (zh, en) = names[phase] else { return phase }
        return self == .zh ? zh : en
    }

    /// An event type as the timeline names it (`TransferAccepted` → 接收转交).
    func eventType(_ type: String) -> String {
        let names: [String: String] = [
            "ApplicationSubmitted": "提交申请", "ApplicationAssessed": "审查申请", "MaterialsSupplied": "补充材料",
            "ApplicationWithdrawn": "视为撤回申请", "AdvanceAidStarted": "先行提供法律援助", "TransferRequested": "转交申请",
            "TransferAccepted": "接收转交", "TransferReturned": "退回转交", "TransferCancelled": "撤回转交", "AidDecided": "作出决定",
            "ObjectionFiled": "提出异议", "ObjectionRuled": "异议处理决定", "LawyerAssigned": "指派律师", "LawyerChanged": "更换律师",
            "OriginalsCollected": "收取原件", "CaseClosed": "结案", "CaseArchived": "归档", "FollowUpRecorded": "回访",
            "CaseErased": "删除个人信息", "InvestigationRequested": "委托调查", "InvestigationAccepted": "接受委托",
            "InvestigationDeclined": "拒绝委托", "InvestigationLawyerAssigned": "指派调查律师", "InvestigationReported": "报告调查结果",
            "InvestigationAcknowledged": "确认调查结果", "InvestigationExtensionRequested": "申请延长期限",
            "InvestigationExtensionDecided": "审批延期申请", "DeliveryRecorded": "已送达", "DeliveryOpened": "受送达方已查阅",
        ]
        guard self == .zh, let name = names[type] else { return Self.words(type) }
        return name
    }

    /// `TransferAccepted` as `Transfer accepted`.
    private static func words(_ type: String) -> String {
        var words = ""
        for character in type {
            if character.isUppercase, !words.isEmpty { words += " " + character.lowercased() } else { words.append(character) }
        }
        return words
    }
}

/// The federation's centres by their names in the federation file (`李沧区法律援助中心`
/// for `qingdao-licang`); an id the file does not name shows as itself.
struct CentreNames: Sendable {
    let names: [CentreID: String]

    /// Every centre of the federation, in id order.
    var centres: [CentreID] { names.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The centre's name, escaped, with its id as the element's title; "" for none.
    func html(_ centre: CentreID?) -> String {
        guard let centre else { return "" }
        return "<span class=\"centre\" title=\"\(HTML.escape(centre.rawValue))\">\(HTML.escape(names[centre] ?? centre.rawValue))</span>"
    }

    /// `centres` with their names, in id order.
    func named(_ centres: Set<CentreID>) -> [(id: CentreID, name: String)] {
        centres.sorted { $0.rawValue < $1.rawValue }.map { ($0, text($0)) }
    }

    /// The centre's name in plain text; its id where the file names none.
    func text(_ centre: CentreID) -> String { names[centre] ?? centre.rawValue }
}

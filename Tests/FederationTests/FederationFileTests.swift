import CaseDomain
import Federation
import Foundation
import Testing

@Suite("The federation file: nodes, centres, keys and each city's policy, validated by field")
struct FederationFileTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/federation.example.json").path

    static func exampleJSON() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: example))) as! [String: Any]
    }

    static func decode(_ document: [String: Any]) throws -> FederationFile {
        try FederationFile.decode(JSONSerialization.data(withJSONObject: document), source: "test.json", requirePublicKeys: false)
    }

    /// The example with `change` applied to its first node.
    static func withFirstNode(_ change: (inout [String: Any]) -> Void) throws -> [String: Any] {
        var document = try exampleJSON()
        var nodes = document["nodes"] as! [[String: Any]]
        change(&nodes[0])
        document["nodes"] = nodes
        return document
    }

    @Test func theJiaodongExampleLoadsWithItsFiveCitiesPolicies() throws {
        let file = try FederationFile.load(path: Self.example, requirePublicKeys: false)
        #expect(file.nodes.map(\.id.rawValue) == ["qingdao", "weifang", "weihai", "yantai", "rizhao"])
        #expect(file.nodes.flatMap(\.centres).map(\.id.rawValue).contains("qingdao-licang"))
        let qingdao = try #require(file.policies[NodeID(rawValue: "qingdao")!])
        #expect(qingdao.countsWorkingDays && qingdao.subsidy(forCause: "traffic-accident") == 300_000)
        #expect(throws: FederationFileError.self, "a real node's file needs every public key") {
            try FederationFile.load(path: Self.example)
        }
    }

    /// Invariant 9: the event size limit is the federation's, the same on every node.
    @Test func theEventSizeLimitIsSharedAndBounded() throws {
        #expect(try Self.decode(Self.exampleJSON()).valueRules.maximumEventBytes == EventValueRules.defaultMaximumEventBytes)
        var document = try Self.exampleJSON()
        document["limits"] = ["maxEventBytes": 32768]
        #expect(try Self.decode(document).valueRules.maximumEventBytes == 32768)
        for bad in [0, 100, 1 << 30] {
            document["limits"] = ["maxEventBytes": bad]
            #expect(throws: FederationFileError.invalid(source: "test.json", field: "limits.maxEventBytes",
                                                        reason: "\(bad) is not between 4096 and 1048576 bytes")) { try Self.decode(document) }
        }
    }

    @Test func errorsNameTheField() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("nodes[0].policy", { $0["policy"] = nil }),
            ("nodes[0].url", { $0["url"] = "ftp://qingdao" }),
            ("nodes[0].publicKey", { $0["publicKey"] = "not-a-key" }),
            ("nodes[0].centres[0].id", { node in
                var centres = node["centres"] as! [[String: Any]]
                centres[0]["id"] = "weihai-elsewhere"
                node["centres"] = centres
            }),
            ("nodes[0].policy.decisionDays", { node in
                var policy = node["policy"] as! [String: Any]
                policy["decisionDays"] = 9
                node["policy"] = policy
            }),
            ("nodes[0].policy.transferAnswerDays", { node in
                var policy = node["policy"] as! [String: Any]
                policy["transferAnswerDays"] = 0
                node["policy"] = policy
            }),
            ("nodes[0].policy.holidays", { node in
                var policy = node["policy"] as! [String: Any]
                policy["holidays"] = ["2026-13-01"]
                node["policy"] = policy
            }),
        ]
        for (field, change) in cases {
            let error = #expect(throws: FederationFileError.self) { try Self.decode(try Self.withFirstNode(change)) }
            guard case .invalid(_, let named, _)? = error else { continue }
            #expect(named == field, "expected the error to name \(field), it named \(named)")
        }
    }
}

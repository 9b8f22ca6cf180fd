import CaseDomain
import Federation
import Foundation
import Testing

@Suite("Sync messages on the wire")
struct SyncMessagesTests {
    /// The pull answer is written by hand for speed; it must read back as the same answer.
    @Test(arguments: [0, 1, 3])
    func aPullResponseReadsBackAsWritten(count: Int) throws {
        let wire = (0..<count).map { index in
            #"{"envelope":"eyJhIjoi5byg5p+QIn0+/w==","hash":"\#(String(repeating: String(index), count: 64))","signature":"c2lnbmF0dXJl/+\#(index)="}"#
        }
        var response = SyncMessages.PullResponse(events: [], more: count == 3,
                                                 vector: [NodeID(rawValue: "rizhao")!: 7, NodeID(rawValue: "qingdao")!: 0])
        response.events = try JSONDecoder().decode([SyncMessages.WireEvent].self, from: Data("[\(wire.joined(separator: ","))]".utf8))
        let read = try JSONDecoder().decode(SyncMessages.PullResponse.self, from: response.encoded())
        #expect(read.events.map(\.envelope) == response.events.map(\.envelope))
        #expect(read.events.map(\.hash) == response.events.map(\.hash))
        #expect(read.events.map(\.signature) == response.events.map(\.signature))
        #expect(read.more == response.more && read.vector == ["rizhao": 7, "qingdao": 0])
    }
}

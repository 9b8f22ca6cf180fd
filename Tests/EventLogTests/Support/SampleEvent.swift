import CaseDomain
import EventLog

/// A small event body of `size` characters of filler, for workloads.
func sampleEvent(type: String = "TestEventRecorded", size: Int = 40, centre: String = "rizhao-wulian") -> NewEvent {
    NewEvent(type: type, actor: Actor(centre: CentreID(rawValue: centre)!, staff: "tester"),
             body: .object(["note": .string(String(repeating: "案", count: size)), "size": .integer(Int64(size))]))
}

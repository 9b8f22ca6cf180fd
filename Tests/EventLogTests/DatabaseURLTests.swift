import EventLog
import Testing

@Suite("Database URLs: one host as before, a primary and its standbys in libpq's form, anything else refused by name")
struct DatabaseURLTests {
    @Test func aSingleHostURLIsReadAsBefore() throws {
        let url = try DatabaseURL("postgres://tongban_service:s%40cret@db.example:6432/tongban_qingdao")
        #expect(url.hosts == [DatabaseURL.Host(name: "db.example", port: 6432)])
        #expect(url.user == "tongban_service" && url.database == "tongban_qingdao")
        #expect(url.targetSessionAttributes == .any && !url.followsPrimary)
        #expect(url.configuration.host == "db.example" && url.configuration.port == 6432 && url.configuration.password == "s@cret")
        #expect(url.description == "postgres://tongban_service:***@db.example:6432/tongban_qingdao", "the password is masked")
        let loopback = try DatabaseURL("postgresql://u@127.0.0.1/d")
        #expect(loopback.hosts == [DatabaseURL.Host(name: "127.0.0.1", port: 5432)] && loopback.configuration.password == nil)
    }

    @Test func severalHostsAreTheOrderToTryThemIn() throws {
        let url = try DatabaseURL("postgres://tongban_service@10.0.0.1:5432,10.0.0.2:5433,[::1]:5434/tongban?target_session_attrs=read-write&sslmode=require")
        #expect(url.hosts.map(\.description) == ["10.0.0.1:5432", "10.0.0.2:5433", "[::1]:5434"])
        #expect(url.targetSessionAttributes == .readWrite && url.followsPrimary)
        #expect(url.configuration(for: url.hosts[1]).host == "10.0.0.2" && url.configuration(for: url.hosts[1]).port == 5433)
        #expect(url.configuration.host == "10.0.0.1", "the first host's configuration")
        #expect(try DatabaseURL("postgres://u@h1,h2/d").hosts.map(\.port) == [5432, 5432])
        #expect(try DatabaseURL("postgres://u@h1/d?target_session_attrs=read-write").followsPrimary, "one host asked to take writes is watched")
    }

    @Test(arguments: [
        ("mysql://u@h/d", "expected postgres://"),
        ("postgres://h/d", "no user"),
        ("postgres://u@/d", "no host"),
        ("postgres://u@h", "no database name"),
        ("postgres://u@h/", "no database name"),
        ("postgres://u@h1,,h2/d", "an empty host"),
        ("postgres://u@h1,h1:5432/d", "listed twice"),
        ("postgres://u@h1:0/d", "from 1 to 65535"),
        ("postgres://u@h1:99999/d", "from 1 to 65535"),
        ("postgres://u@h1:54x/d", "from 1 to 65535"),
        ("postgres://u@h1:/d", "from 1 to 65535"),
        ("postgres://u@h_1/d", "letters, digits"),
        ("postgres://u@[::1/d", "closing ]"),
        ("postgres://u@[zz]:5/d", "not an IPv6 address"),
        ("postgres://u@:5432/d", "has no name"),
        ("postgres://u@a,b,c,d,e,f,g,h,i/d", "more than 8"),
        ("postgres://u@h/d?sslmode=verify-full", "sslmode must be"),
        ("postgres://u@h/d?target_session_attrs=standby", "must be any or read-write"),
        ("postgres://u@h/d?target_session_attrs=read-write&target_session_attrs=any", "given twice"),
        ("postgres://u@h/d?application_name=x", "unknown parameter 'application_name'"),
        ("postgres://u@h/d?sslmode=", "has no value"),
        ("postgres://u@h/d#x", "fragment"),
        ("postgres://u@h/a/b", "has a '/'"),
        ("postgres://u@h/d\n", "control characters"),
        ("postgres://u:pw@h1:5432,h2:x/d", "from 1 to 65535"),
    ])
    func aBadURLIsRefusedSayingWhy(text: String, reason: String) {
        do {
            let url = try DatabaseURL(text)
            Issue.record("\(text) was accepted as \(url)")
        } catch {
            #expect(error.description.contains(reason), "\(text): expected '\(reason)' in: \(error.description)")
            #expect(!error.description.contains("pw@"), "the password is masked in the message: \(error.description)")
        }
    }
}

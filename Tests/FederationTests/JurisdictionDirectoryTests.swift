import CaseDomain
import Federation
import Foundation
import Testing

/// The federation's directory of venues: what a staff member types finds the centre a
/// matter belongs to, and a directory that could mislead is refused when the file is read.
@Suite("The jurisdiction directory")
struct JurisdictionDirectoryTests {
    typealias F = FederationFileTests
    static let licang = CentreID(rawValue: "qingdao-licang")!

    static func withDirectory(_ venues: [[String: Any]]) throws -> FederationFile {
        var document = try F.exampleJSON()
        document["directory"] = venues
        return try F.decode(document)
    }

    @Test func aVenueByItsNameAnAliasOrAsTypedNamesItsCentre() throws {
        let directory = try FederationFile.load(path: F.example, requirePublicKeys: false).directory
        #expect(directory.venues.count >= 15)
        for typed in ["青岛市李沧区人民法院", "李沧法院", " 青岛市 李沧区 人民法院 ", "李沧区法院"] {
            let found = directory.lookUp(typed)
            #expect(found.suggestedCentre == Self.licang && found.isExact, "\(typed)")
        }
        #expect(directory.lookUp("青岛市李沧区人民法院").matches.first?.name == "青岛市李沧区人民法院", "the exact name first, then the place it lies in")
        #expect(directory.lookUp("青岛").suggestedCentre == nil, "every Qingdao venue matches: no single centre")
        let partly = directory.lookUp("李沧区人民法院民事审判庭")
        #expect(partly.suggestedCentre == nil && !partly.isExact, "\(partly)")
        let inside = directory.lookUp("李沧区")
        #expect(inside.suggestedCentre == Self.licang && !inside.isExact, "every venue it names is Licang's, but it names none exactly")
        #expect(directory.lookUp("北京市朝阳区人民法院").suggestedCentre == nil && directory.lookUp("北京市朝阳区人民法院").matches.isEmpty)
        #expect(directory.lookUp("").matches.isEmpty && directory.lookUp("   ").matches.isEmpty)
        #expect(directory.lookUp("法院", limit: 3).matches.count == 3, "bounded")
        #expect(directory.lookUp("法院", limit: 3).suggestedCentre == nil, "the suggestion weighs every match, not the first few")
        #expect(directory.lookUp("ＡＢＣ").suggestedCentre == nil)
    }

    @Test func fullWidthAndCaseFoldTogether() throws {
        let file = try Self.withDirectory([["name": "Qingdao Maritime Court", "kind": "court", "centre": "qingdao-municipal", "aliases": ["ＱＤ海事法院"]]])
        #expect(file.directory.lookUp("qingdao maritime court").suggestedCentre == CentreID(rawValue: "qingdao-municipal"))
        #expect(file.directory.lookUp("qd海事法院").suggestedCentre == CentreID(rawValue: "qingdao-municipal"))
    }

    @Test func aDirectoryThatCouldMisleadIsRefusedNamingTheField() throws {
        let cases: [([[String: Any]], String)] = [
            ([["name": "某法院", "kind": "court", "centre": "qingdao-nowhere"]], "directory[0].centre"),
            ([["name": "某法院", "kind": "tribunal", "centre": "qingdao-licang"]], "directory[0].kind"),
            ([["name": "", "kind": "court", "centre": "qingdao-licang"]], "directory[0].name"),
            ([["name": "某\u{202E}法院", "kind": "court", "centre": "qingdao-licang"]], "directory[0].name"),
            ([["name": String(repeating: "长", count: 201), "kind": "court", "centre": "qingdao-licang"]], "directory[0].name"),
            ([["name": "甲法院", "kind": "court", "centre": "qingdao-licang"], ["name": "乙法院", "kind": "court", "centre": "qingdao-shinan", "aliases": ["甲 法院"]]],
             "directory[1].aliases[0]"),
            ([["name": "甲法院", "kind": "court", "centre": "qingdao-licang", "aliases": Array(repeating: "别名", count: 21)]], "directory[0].aliases"),
        ]
        for (venues, field) in cases {
            #expect {
                try Self.withDirectory(venues)
            } throws: { error in
                guard case .invalid(_, let named, _)? = error as? FederationFileError else { return false }
                return named == field
            }
        }
        #expect(try Self.withDirectory([]).directory.venues.isEmpty, "a federation without a directory suggests nothing")
    }

    @Test func theDirectoryIsWrittenBackAsRead() throws {
        let file = try FederationFile.load(path: F.example, requirePublicKeys: false)
        let again = try FederationFile.decode(try file.encoded(), source: "again.json", requirePublicKeys: false)
        #expect(again.directory == file.directory && again.directory.venues.first?.aliases == file.directory.venues.first?.aliases)
    }
}

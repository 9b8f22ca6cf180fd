import CaseDomain
import Crypto
import Foundation
import Testing

/// The blind index a certificate's holder is matched by: the same for one person under one
/// key however the number and name are typed, different under another key, and never the
/// number itself.
@Suite("Blind indexes of a holder")
struct BlindIndexTests {
    static let index = BlindIndex(key: SymmetricKey(data: Data(repeating: 7, count: 32)))

    @Test func theIndexIsOfTheNormalisedIDNumberAndName() {
        let index = Self.index
        #expect(index.holder(idNumber: " 37112119800101123x\n") == index.holder(idNumber: "37112119800101123X"))
        #expect(index.holderName(idNumber: "37112119800101123x", name: " Jose\u{0301} 张 ") == index.holderName(idNumber: "37112119800101123X", name: "José 张"))
        #expect(index.holderName(idNumber: "37112119800101123X", name: "张某") != index.holderName(idNumber: "37112119800101123X", name: "李某"))
        #expect(index.holder(idNumber: "37112119800101123X") != index.holderName(idNumber: "37112119800101123X", name: ""),
                "the two indexes are of different messages")
        let hex = index.holder(idNumber: "371121198001011234")
        #expect(hex.utf8.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase } && !hex.contains("371121198001011234"))
    }

    @Test func anotherKeyGivesAnotherIndexAndALocalKeyIsTheNodesOwn() {
        let other = BlindIndex(key: SymmetricKey(data: Data(repeating: 8, count: 32)))
        #expect(other.holder(idNumber: "371121198001011234") != Self.index.holder(idNumber: "371121198001011234"))
        let signing = Curve25519.Signing.PrivateKey()
        #expect(BlindIndex.local(signingKey: signing).holder(idNumber: "371121198001011234")
                == BlindIndex.local(signingKey: signing).holder(idNumber: "371121198001011234"), "derived the same at every start")
        #expect(BlindIndex.local(signingKey: Curve25519.Signing.PrivateKey()).holder(idNumber: "371121198001011234")
                != BlindIndex.local(signingKey: signing).holder(idNumber: "371121198001011234"), "another node's key, another index")
    }

    @Test func anIndexFieldHoldsSixtyFourLowercaseHexDigitsOnly() throws {
        try EventValueRules.check(body: ["holderIndex": .string(Self.index.holder(idNumber: "371121198001011234"))])
        for bad in ["371121198001011234", String(repeating: "A", count: 64), String(repeating: "a", count: 63)] {
            #expect(throws: EventValueRules.Violation.self, "\(bad)") { try EventValueRules.check(body: ["holderNameIndex": .string(bad)]) }
        }
    }
}

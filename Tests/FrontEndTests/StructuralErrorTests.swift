import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Structural mistakes in an entry: each located, all reported, none cascading.
final class StructuralErrorTests: XCTestCase {
    func testUnknownKeyWithDidYouMeanAndNoMissingKeyError() {
        let source = MarkedSource(entryYAML().replacingOccurrences(of: "issuer:", with: "⟨isuer⟩:"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.unknownKey, at: source.span, message: "unknown key `isuer` in authentication entry", hint: "did you mean `issuer`?"),
        ])
    }

    func testMisspeltJWKSIsNotAlsoReportedAsNoKeys() {
        let source = MarkedSource(entryYAML().replacingOccurrences(of: "jwks:", with: "⟨jwk⟩:"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.unknownKey, at: source.span, hint: "`jwks`")])
    }

    func testUnknownKeyWithoutAGuessListsTheValidKeys() {
        let source = MarkedSource(entryYAML("⟨permissions⟩: []\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.unknownKey, at: source.span, hint: "valid keys: `version`")])
    }

    func testMissingRequiredKeysPointAtTheHeadOfTheMapping() {
        let source = MarkedSource("⟨version: 1⟩\njwks: {keys: []}\nauthorization: ⟨{}⟩\n")
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.missingKey, at: source[0], message: "`name`"),
            Expected(.missingKey, at: source[0], message: "`issuer`"),
            Expected(.missingKey, at: source[1], message: "`mode`"),
        ])
    }

    func testWrongNodeKinds() {
        let source = MarkedSource(entryYAML("audiences: ⟨ai-gateway⟩\nclaims: ⟨[sub]⟩\nsubject: ⟨{a: 1}⟩\n",
                                            authorization: "authorization: ⟨[whitelist]⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.wrongNodeKind, at: source[0], message: "`authorization` must be a mapping"),
            Expected(.wrongNodeKind, at: source[1], message: "`audiences` must be a list"),
            Expected(.wrongNodeKind, at: source[2], message: "`claims` must be a mapping"),
            Expected(.wrongNodeKind, at: source[3], message: "`subject` must be a string"),
        ])
    }

    func testAnEntryThatIsNotAMapping() {
        let source = MarkedSource("⟨- version: 1⟩\n")
        XCTAssertEqual(decode(source).diagnostics.map(\.code), [.wrongNodeKind])
    }

    func testInvalidEnumValuesListTheValidOnes() {
        let source = MarkedSource(entryYAML("token: { from: ⟨body⟩ }\nalgorithms: [⟨RS265⟩, ⟨none⟩]\n",
                                            authorization: "authorization: { mode: ⟨whitelst⟩ }\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.invalidEnumValue, at: source[0], hint: "did you mean `whitelist`? valid values: `whitelist`, `blacklist`"),
            Expected(.invalidEnumValue, at: source[1], hint: "valid values: `header`, `query`, `cookie`"),
            Expected(.invalidEnumValue, at: source[2], hint: "did you mean `RS256`?"),
            Expected(.invalidEnumValue, at: source[3], message: "never allowed"),
        ])
    }

    func testUnsupportedTypeAndVersion() {
        let type = MarkedSource(entryYAML("type: ⟨JWT⟩\n"))
        XCTAssertDiagnostics(decode(type).diagnostics, [Expected(.unsupportedAuthenticationType, at: type.span, hint: "lowercase")])
        let version = MarkedSource(entryYAML().replacingOccurrences(of: "version: 1", with: "version: ⟨2⟩"))
        XCTAssertDiagnostics(decode(version).diagnostics, [Expected(.unsupportedVersion, at: version.span, message: "2")])
    }

    func testJWKSAndJWKSFileBothOrNeither() {
        let both = MarkedSource(entryYAML("⟨jwksFile⟩: keys.json\n").replacingOccurrences(of: "jwks:", with: "⟨jwks⟩:"))
        XCTAssertDiagnostics(decode(both).diagnostics, [Expected(.jwksSourceCount, at: both[1], message: "not `jwks` and `jwksFile`", notes: [both[0]])])
        let neither = MarkedSource("⟨version: 1⟩\nname: a\nissuer: https://x\nauthorization: {mode: whitelist}\n")
        XCTAssertDiagnostics(decode(neither).diagnostics, [Expected(.jwksSourceCount, at: neither.span, message: "no keys")])
        let null = MarkedSource(entryYAML().replacingOccurrences(of: "jwks: {keys: []}", with: "jwks:⟨⟩"))
        XCTAssertDiagnostics(decode(null).diagnostics, [Expected(.wrongNodeKind, at: null.span)])
    }

    func testANameUsedTwiceInTheSetHasANoteAtTheFirstDefinition() {
        let a = MarkedSource(entryYAML(name: "⟨shared⟩"), path: "a.yaml")
        let b = MarkedSource(entryYAML(name: "other") + "---\n" + entryYAML(name: "⟨shared⟩"), path: "b.yaml")
        let (set, diagnostics) = decode(a, b)
        XCTAssertDiagnostics(diagnostics, [Expected(.duplicateName, at: b.span, message: "`shared`", notes: [a.span])])
        XCTAssertEqual(set.entries.map(\.name.value), ["shared", "other"])
    }

    func testInvalidNames() {
        for name in ["-lead", ".dot", "has space", "ünï", String(repeating: "a", count: 129)] {
            let source = MarkedSource(entryYAML(name: "⟨\"\(name)\"⟩"))
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidName, at: source.span)], name)
        }
        XCTAssertNotNil(decodeEntry(entryYAML(name: "_a.b-c_" + String(repeating: "z", count: 121))))
    }

    func testAllErrorsOfARunAreReported() {
        let a = MarkedSource(entryYAML("⟨isuer⟩: x\nenabled: ⟨yes⟩\n"), path: "a.yaml")
        let b = MarkedSource("version: 1\nname: b\nissuer: x\njwks: {keys: []}\nauthorization: {mode: whitelist}\nclockSkew: ⟨soon⟩\n", path: "b.yaml")
        XCTAssertDiagnostics(decode(a, b).diagnostics, [
            Expected(.unknownKey, at: a[0]),
            Expected(.invalidBoolean, at: a[1]),
            Expected(.invalidDuration, at: b.span),
        ])
    }
}

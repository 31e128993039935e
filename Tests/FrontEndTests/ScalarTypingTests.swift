import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Scalars are typed by their place, YAML 1.2 style.
final class ScalarTypingTests: XCTestCase {
    func testBooleansAreTrueAndFalseOnly() {
        XCTAssertEqual(decodeEntry(entryYAML("enabled: false\nrequireExpiration: true\n"))?.enabled.value, false)
        for spelling in ["yes", "no", "on", "off", "y", "True", "FALSE"] {
            let source = MarkedSource(entryYAML("enabled: ⟨\(spelling)⟩\n"))
            XCTAssertDiagnostics(decode(source).diagnostics, [
                Expected(.invalidBoolean, at: source.span, message: "`\(spelling)`", hint: "write `true` or `false`"),
            ], spelling)
        }
    }

    func testAQuotedTrueIsAStringAndAnErrorWhereABooleanBelongs() {
        let source = MarkedSource(entryYAML("enabled: ⟨\"true\"⟩\nrequireExpiration: ⟨'false'⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.invalidBoolean, at: source[0], hint: "remove the quotes"),
            Expected(.invalidBoolean, at: source[1], hint: "remove the quotes"),
        ])
        let claim = decodeEntry(entryYAML("claims: { flag: { equals: \"true\" }, other: { equals: true } }\n"))?.claims
        XCTAssertEqual(claim?.first.map { describe($0.requirements[0].kind) }, "equals \"true\"")
        XCTAssertEqual(claim?.last.map { describe($0.requirements[0].kind) }, "equals true")
    }

    func testABooleanTagMakesAQuotedBooleanABoolean() {
        XCTAssertEqual(decodeEntry(entryYAML("enabled: !!bool \"false\"\n"))?.enabled.value, false)
    }

    func testBooleanOfTheWrongKind() {
        let source = MarkedSource(entryYAML("enabled: ⟨[true]⟩\nrequireExpiration:⟨⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.wrongNodeKind, at: source[0], message: "not a list"),
            Expected(.wrongNodeKind, at: source[1], message: "nothing (null)"),
        ])
    }

    func testIntegersAreDecimal() {
        for spelling in ["0x1", "01", "+1", "1.0", "1_0", "1e0", "one"] {
            let source = MarkedSource(entryYAML().replacingOccurrences(of: "version: 1", with: "version: ⟨\(spelling)⟩"))
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidInteger, at: source.span, message: "`\(spelling)`")], spelling)
        }
        let quoted = MarkedSource(entryYAML().replacingOccurrences(of: "version: 1", with: "version: ⟨\"1\"⟩"))
        XCTAssertDiagnostics(decode(quoted).diagnostics, [Expected(.invalidInteger, at: quoted.span, hint: "remove the quotes")])
    }

    func testDurations() {
        let cases: [(String, Int)] = [("90s", 90), ("5m", 300), ("1h", 3_600), ("1h30m", 5_400), ("1h30m15s", 5_415), ("120", 120), ("0", 0)]
        for (text, seconds) in cases {
            XCTAssertEqual(decodeEntry(entryYAML("clockSkew: \(text)\n"))?.clockSkew.value, seconds, text)
        }
        XCTAssertEqual(decodeEntry(entryYAML("maxLifetime: 8h\n"))?.maxLifetime?.value, 28_800)
    }

    func testMalformedDurations() {
        for text in ["1.5h", "90 s", "-5s", "1m1h", "h", "1h30", "5M", "05m", "1h1h", "\"\""] {
            let source = MarkedSource(entryYAML("clockSkew: ⟨\(text)⟩\n"))
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidDuration, at: source.span, hint: "1h30m")], text)
        }
    }

    func testDurationsOutOfRange() {
        let source = MarkedSource(entryYAML("clockSkew: ⟨2d⟩\nmaxLifetime: ⟨0s⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.invalidDuration, at: source[0], message: "between 0s and 1d"),
            Expected(.invalidDuration, at: source[1], message: "between 1s and 366d"),
        ])
    }
}

/// `equals "x"`, `oneOf [1, true]`, `atLeast 2.0`: a comparable description of a requirement.
func describe(_ kind: ClaimRequirement.Kind) -> String {
    func list(_ values: [ClaimValue]) -> String { "[" + values.map(\.description).joined(separator: ", ") + "]" }
    switch kind {
    case .equals(let value): return "equals \(value)"
    case .oneOf(let values): return "oneOf \(list(values))"
    case .contains(let value): return "contains \(value)"
    case .containsAll(let values): return "containsAll \(list(values))"
    case .containsAny(let values): return "containsAny \(list(values))"
    case .atLeast(let number): return "atLeast \(number)"
    case .atMost(let number): return "atMost \(number)"
    case .present: return "present"
    case .absent: return "absent"
    }
}

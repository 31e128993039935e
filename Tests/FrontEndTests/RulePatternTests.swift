import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Rule domains and paths: accepted forms, and errors that point at the offending text.
final class RulePatternTests: XCTestCase {
    /// Decodes one rule whose `key` value is written (with markers) as `value`, expecting one error at the marked span.
    private func assertRuleError(
        _ key: String, _ value: String, _ code: DiagnosticCode, message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let source = MarkedSource(entryYAML(authorization: "authorization:\n  mode: blacklist\n  rules:\n    - \(key): \(value)\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(code, at: source.span, message: message)], value, file: file, line: line)
    }

    func testDomainForms() {
        XCTAssertEqual(try DomainPattern.parse("API.example.com").get(), .exact("api.example.com"))
        XCTAssertEqual(try DomainPattern.parse("*.Example.com").get(), .wildcard(suffix: "example.com"))
        XCTAssertEqual(try DomainPattern.parse("*").get(), .any)
        XCTAssertEqual(try DomainPattern.parse("localhost").get(), .exact("localhost"))
    }

    func testDomainErrorsPointAtTheOffendingText() {
        assertRuleError("domain", "api.example.com⟨:8443⟩", .invalidDomainPattern, message: "port")
        assertRuleError("domain", "⟨https://⟩api.example.com", .invalidDomainPattern, message: "scheme")
        assertRuleError("domain", "api.example.com⟨/v1⟩", .invalidDomainPattern, message: "path")
        assertRuleError("domain", "api.⟨.⟩example.com", .invalidDomainPattern, message: "empty label")
        assertRuleError("domain", "⟨.⟩example.com", .invalidDomainPattern, message: "empty label")
        assertRuleError("domain", "b⟨ü⟩cher.example", .invalidDomainPattern, message: "ASCII")
        assertRuleError("domain", "api.⟨*⟩.example.com", .invalidDomainPattern, message: "`*`")
        assertRuleError("domain", "\"⟨*⟩example.com\"", .invalidDomainPattern, message: "`*`")
        assertRuleError("domain", "\"*.example.⟨*⟩\"", .invalidDomainPattern, message: "`*`")
        assertRuleError("domain", "api⟨!⟩.example.com", .invalidDomainPattern, message: "`!`")
        assertRuleError("domain", "\"*.\(String(repeating: "a", count: 10)).⟨\(String(repeating: "b", count: 64))⟩\"", .invalidDomainPattern, message: "63")
    }

    /// A trailing dot leaves an empty last label: the error points at that dot.
    func testtrailingDotInDomainPointsAtTheDot() {
        assertRuleError("domain", "example.com⟨.⟩", .invalidDomainPattern, message: "empty label")
    }

    /// The error covers the whole character, never half of its UTF-8 bytes.
    func testnonASCIIPathCharacterIsSpannedWhole() {
        assertRuleError("path", "/caf⟨é⟩", .invalidPathPattern, message: "ASCII")
    }

    func testPathForms() throws {
        XCTAssertEqual(try PathPattern.parse("/").get(), PathPattern(segments: [], matchesSubtree: false))
        XCTAssertEqual(try PathPattern.parse("/v1/items").get(), PathPattern(segments: [.literal("v1"), .literal("items")], matchesSubtree: false))
        XCTAssertEqual(try PathPattern.parse("/users/*/profile").get(),
                       PathPattern(segments: [.literal("users"), .anySegment, .literal("profile")], matchesSubtree: false))
        XCTAssertEqual(try PathPattern.parse("/api/**").get(), PathPattern(segments: [.literal("api")], matchesSubtree: true))
        XCTAssertEqual(try PathPattern.parse("/**").get(), PathPattern(segments: [], matchesSubtree: true))
        XCTAssertEqual(try PathPattern.parse("/%7euser/a%2fb%3F".replacingOccurrences(of: "%2f", with: "x")).get(),
                       PathPattern(segments: [.literal("~user"), .literal("axb%3F")], matchesSubtree: false),
                       "unreserved escapes decode, others are uppercased")
        XCTAssertEqual(try PathPattern.parse("/v1/*/items/**").get().description, "/v1/*/items/**")
    }

    func testPathErrorsPointAtTheOffendingCharacter() {
        assertRuleError("path", "⟨v⟩1/items", .invalidPathPattern, message: "start with `/`")
        assertRuleError("path", "/a/⟨.⟩/b", .invalidPathPattern, message: "`.` or `..`")
        assertRuleError("path", "/a/⟨..⟩/b", .invalidPathPattern, message: "`.` or `..`")
        assertRuleError("path", "/a/⟨%2e%2E⟩", .invalidPathPattern, message: "`.` or `..`")
        assertRuleError("path", "/a⟨//⟩b", .invalidPathPattern, message: "`//`")
        assertRuleError("path", "/a/b⟨%2F⟩c", .invalidPathPattern, message: "encoded `/`")
        assertRuleError("path", "/a/b⟨%5c⟩c", .invalidPathPattern, message: "encoded `\\`")
        assertRuleError("path", "/a/b⟨%3B⟩c", .invalidPathPattern, message: "encoded `;`")
        assertRuleError("path", "/search⟨?⟩q=1", .invalidPathPattern, message: "`?`")
        assertRuleError("path", "\"/page⟨#⟩top\"", .invalidPathPattern, message: "`#`")
        assertRuleError("path", "/a⟨;⟩jsessionid=1", .invalidPathPattern, message: "`;`")
        assertRuleError("path", "/a/⟨**⟩/b", .invalidPathPattern, message: "`**`")
        assertRuleError("path", "/a/b⟨*⟩", .invalidPathPattern, message: "whole segment")
        assertRuleError("path", "/a/⟨*⟩**", .invalidPathPattern, message: "whole segment")
        assertRuleError("path", "/a/⟨%4⟩", .invalidPathPattern, message: "percent-escape")
        assertRuleError("path", "/a⟨%00⟩", .invalidPathPattern, message: "control character")
        assertRuleError("path", "'/a\tb⟨⟩'".replacingOccurrences(of: "\tb⟨⟩", with: "⟨\t⟩b"), .invalidPathPattern, message: "control characters")
    }

    /// An escape in a double-quoted value is one character in the path: the error starts at its backslash.
    func testControlCharacterWrittenAsAnEscape() {
        let source = MarkedSource(entryYAML(authorization: "authorization:\n  mode: blacklist\n  rules:\n    - path: \"/a⟨⟩\\x01b\"\n"))
        let diagnostics = decode(source).diagnostics
        XCTAssertEqual(diagnostics.map(\.code), [.invalidPathPattern])
        XCTAssertEqual(diagnostics.first?.span?.start, source.span.start)
    }

    func testEveryBadRuleIsReportedAndGoodRulesAreKept() {
        let source = MarkedSource(entryYAML(authorization: """
            authorization:
              mode: blacklist
              rules:
                - { domain: "⟨*⟩x.example.com" }
                - { path: /ok }
                - { path: ⟨nope⟩ }
                - { ignoreCase: ⟨maybe⟩ }

            """).replacingOccurrences(of: "⟨nope⟩", with: "⟨n⟩ope"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.invalidDomainPattern, at: source[0]),
            Expected(.invalidPathPattern, at: source[1]),
            Expected(.invalidBoolean, at: source[2]),
        ])
    }
}

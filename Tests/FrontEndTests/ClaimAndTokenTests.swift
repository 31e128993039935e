import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// `claims`, `forwardClaims` and `token` decoded into the AST.
final class ClaimAndTokenTests: XCTestCase {
    func testEveryRequirementKind() throws {
        let entry = try XCTUnwrap(decodeEntry(entryYAML("""
            claims:
              email_verified: { type: boolean, equals: true }
              tier: { oneOf: [gold, 2, "3"] }
              scope: { contains: chat:write }
              roles: { type: "string[]", containsAll: [a, b], containsAny: [c] }
              age: { type: integer, atLeast: 18, atMost: 1.5e2 }
              sub: { present: true }
              act: { absent: true }
              realm_access.roles: { contains: admin }
              https://example\\.com/roles: { present: true }
              'a\\\\b': { present: true }

            """)))
        XCTAssertEqual(entry.claims.map(\.path.value), [
            ["email_verified"], ["tier"], ["scope"], ["roles"], ["age"], ["sub"], ["act"],
            ["realm_access", "roles"], ["https://example.com/roles"], ["a\\b"],
        ])
        XCTAssertEqual(entry.claims.map { $0.requirements.map { describe($0.kind) } }, [
            ["equals true"], ["oneOf [\"gold\", 2, \"3\"]"], ["contains \"chat:write\""],
            ["containsAll [\"a\", \"b\"]", "containsAny [\"c\"]"], ["atLeast 18.0", "atMost 150.0"],
            ["present"], ["absent"], ["contains \"admin\""], ["present"], ["present"],
        ])
        XCTAssertEqual(entry.claims.map { $0.declaredType?.value }, [.boolean, nil, nil, .stringArray, .integer, nil, nil, nil, nil, nil])
    }

    func testRequirementSpans() throws {
        let source = MarkedSource(entryYAML("claims:\n  scope: { ⟨contains: chat:write⟩ }\n"))
        let (set, diagnostics) = decode(source)
        XCTAssertNoDiagnostics(diagnostics)
        XCTAssertSpan(set.entries.first?.claims.first?.requirements.first?.span, source.span)
    }

    func testClaimErrors() {
        let source = MarkedSource(entryYAML("""
            claims:
              ⟨a..b⟩: { present: true }
              ⟨'a\\x'⟩: { present: true }
              ⟨c⟩: {}
              d: { ⟨equal⟩: 1 }
              e: { present: ⟨false⟩ }
              f: { atLeast: ⟨many⟩ }
              g: { type: ⟨strings⟩ }
              h: { oneOf: ⟨[]⟩ }

            """))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.emptyValue, at: source[0], message: "empty part"),
            Expected(.invalidEnumValue, at: source[1], message: "invalid escape"),
            Expected(.emptyValue, at: source[2], message: "no requirements"),
            Expected(.unknownKey, at: source[3], hint: "did you mean `equals`?"),
            Expected(.invalidEnumValue, at: source[4], message: "`present: false`"),
            Expected(.wrongNodeKind, at: source[5], message: "needs a number"),
            Expected(.invalidEnumValue, at: source[6], hint: "`string[]`"),
            Expected(.emptyValue, at: source[7]),
        ])
    }

    func testForwardClaimErrors() {
        let source = MarkedSource(entryYAML("forwardClaims:\n  a: ⟨x user⟩\n  b: ⟨Authorization⟩\n  c: ⟨X-User⟩\n  d: ⟨x-user⟩\n"))
        let diagnostics = decode(source).diagnostics
        XCTAssertDiagnostics(diagnostics, [
            Expected(.invalidHeaderName, at: source[0], message: "not a valid header name"),
            Expected(.invalidHeaderName, at: source[1], message: "must not be forwarded"),
            Expected(.duplicateValue, at: source[3], notes: [source[2]]),
        ])
    }

    func testTokenLocations() throws {
        let entry = try XCTUnwrap(decodeEntry(entryYAML("""
            token:
              - { from: cookie, name: session_token }
              - { from: query, name: access_token, passthrough: true }
              - { from: header, name: X-Token }
              - { name: authorization }
              - { from: header, name: X-Api-Key, prefix: "Key " }
              - { from: header, name: X-Raw, prefix: }

            """)))
        XCTAssertEqual(entry.tokenLocations.map(\.source), [.cookie, .query, .header, .header, .header, .header])
        XCTAssertEqual(entry.tokenLocations.map(\.prefix), ["", "", "", "Bearer ", "Key ", ""])
        XCTAssertEqual(entry.tokenLocations.map(\.passthrough), [false, true, false, false, false, false])
    }

    func testTokenLocationErrors() {
        let source = MarkedSource(entryYAML("token:\n  - ⟨{ name: X-Token }⟩\n  - ⟨{ name: x-token }⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.duplicateValue, at: source[1], notes: [source[0]])])
        let empty = MarkedSource(entryYAML("token: ⟨[]⟩\n"))
        XCTAssertDiagnostics(decode(empty).diagnostics, [Expected(.emptyValue, at: empty.span)])
    }
}

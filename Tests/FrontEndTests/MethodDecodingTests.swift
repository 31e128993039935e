import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Rule `methods` and the entry option `allowCorsPreflight`: accepted forms, and errors at
/// the offending item with a hint.
final class MethodDecodingTests: XCTestCase {
    private func rules(_ value: String) -> MarkedSource {
        MarkedSource(entryYAML(authorization: "authorization:\n  mode: blacklist\n  rules:\n    - { path: /v1/**, methods: \(value) }\n"))
    }

    func testMethodsAreDecodedInOrder() throws {
        let entry = try XCTUnwrap(decodeEntry(entryYAML(authorization: "authorization:\n  mode: blacklist\n  rules:\n    - { path: /a, methods: [GET, HEAD, PATCH] }\n    - { path: /b }\n")))
        XCTAssertEqual(entry.authorization.rules[0].methods?.map(\.value), ["GET", "HEAD", "PATCH"])
        XCTAssertEqual(entry.authorization.rules[0].methodMask, 0b1_0000_0011)
        XCTAssertNil(entry.authorization.rules[1].methods)
        XCTAssertNil(entry.authorization.rules[1].methodMask)
        XCTAssertEqual(entry.allowCorsPreflight.value, false, "the option defaults to false")
    }

    func testEveryStandardMethodIsAccepted() {
        for method in HTTPMethods.known {
            XCTAssertNoDiagnostics(decode(rules("[\(method)]")).diagnostics)
        }
    }

    func testLowerCaseMethodSuggestsUpperCase() {
        let source = rules("[GET, ⟨get⟩]")
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidMethod, at: source.span, message: "unknown HTTP method `get`", hint: "did you mean `GET`?")])
        let mixed = rules("[⟨Post⟩]")
        XCTAssertDiagnostics(decode(mixed).diagnostics, [Expected(.invalidMethod, at: mixed.span, hint: "did you mean `POST`? methods are case-sensitive")])
    }

    func testUnknownMethodsAreErrorsWithASuggestion() {
        let typo = rules("[⟨GTE⟩]")
        XCTAssertDiagnostics(decode(typo).diagnostics, [Expected(.invalidMethod, at: typo.span, message: "`GTE`", hint: "did you mean `GET`?")])
        let webdav = rules("[⟨PROPFIND⟩]")
        XCTAssertDiagnostics(decode(webdav).diagnostics, [Expected(.invalidMethod, at: webdav.span, hint: "GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH")])
        let spaced = rules("[⟨\"GET /\"⟩]")
        XCTAssertDiagnostics(decode(spaced).diagnostics, [Expected(.invalidMethod, at: spaced.span, message: "invalid HTTP method")])
    }

    func testEveryBadItemIsReported() {
        let source = rules("[⟨get⟩, HEAD, ⟨FOO⟩]")
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidMethod, at: source[0]), Expected(.invalidMethod, at: source[1])])
    }

    func testAnEmptyListIsAnError() {
        let source = rules("⟨[]⟩")
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.emptyValue, at: source.span, message: "`methods` must not be an empty list",
                                                                   hint: "remove `methods` to match every method")])
    }

    func testADuplicateIsAnErrorWithANote() {
        let source = rules("[⟨GET⟩, HEAD, ⟨GET⟩]")
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.duplicateValue, at: source[1], message: "`GET` is listed twice", notes: [source[0]])])
    }

    func testAScalarSuggestsAList() {
        let source = rules("⟨GET⟩")
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.wrongNodeKind, at: source.span, hint: "`[GET]`")])
    }

    func testAMisspelledKeySuggestsMethods() {
        let source = MarkedSource(entryYAML(authorization: "authorization:\n  mode: blacklist\n  rules:\n    - { path: /v1, ⟨method⟩: [GET] }\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.unknownKey, at: source.span, hint: "did you mean `methods`?")])
    }

    func testAllowCorsPreflight() throws {
        let entry = try XCTUnwrap(decodeEntry(entryYAML("allowCorsPreflight: true\n")))
        XCTAssertEqual(entry.allowCorsPreflight.value, true)
        let source = MarkedSource(entryYAML("allowCorsPreflight: ⟨yes⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidBoolean, at: source.span)])
        let typo = MarkedSource(entryYAML("⟨allowCorsPreflights⟩: true\n"))
        XCTAssertDiagnostics(decode(typo).diagnostics, [Expected(.unknownKey, at: typo.span, hint: "did you mean `allowCorsPreflight`?")])
    }
}

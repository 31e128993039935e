import Diagnostics
import TestSupport
import XCTest

/// The compiler-style text form: header, source line with a gutter, underline, notes, help.
final class TextRendererTests: XCTestCase {
    private let renderer = TextRenderer()

    func testErrorWithUnderlineAndHelp() {
        let source = MarkedSource("version: 1\n⟨isuer⟩: https://auth.example.com\n", path: "Policies/partner.yaml")
        let diagnostic = Diagnostic(.error, .unknownKey, "unknown key `isuer` in authentication entry", at: source.span,
                                    hint: "did you mean `issuer`?")
        XCTAssertEqual(renderer.render(diagnostic), """
            Policies/partner.yaml:2:1: error[GP203]: unknown key `isuer` in authentication entry
               2 | isuer: https://auth.example.com
                 | ^^^^^
               help: did you mean `issuer`?

            """)
    }

    func testNotesCarryTheirOwnLocation() {
        let source = MarkedSource("⟨name⟩: a\nissuer: x\n⟨name⟩: b\n", path: "p.yaml")
        let diagnostic = Diagnostic(.error, .duplicateKey, "the key `name` appears twice in this mapping", at: source[1],
                                    notes: [DiagnosticNote("first used here", at: source[0]), DiagnosticNote("unlocated", at: nil)],
                                    hint: "remove one of them")
        XCTAssertEqual(renderer.render(diagnostic), """
            p.yaml:3:1: error[GP104]: the key `name` appears twice in this mapping
               3 | name: b
                 | ^^^^
            p.yaml:1:1: note: first used here
               1 | name: a
                 | ^^^^
               note: unlocated
               help: remove one of them

            """)
    }

    func testZeroWidthSpanGetsOneCaret() {
        let source = MarkedSource("path: /a⟨⟩\n", path: "p.yaml")
        let diagnostic = Diagnostic(.warning, .invalidPathPattern, "here", at: source.span)
        XCTAssertEqual(renderer.render(diagnostic), """
            p.yaml:1:9: warning[GP221]: here
               1 | path: /a
                 |         ^

            """)
    }

    func testSpanRunningPastTheEndOfTheLineStopsAtTheLineEnd() {
        let source = MarkedSource("jwks: ⟨|\n  {\"keys\": []}\n⟩", path: "p.yaml")
        let diagnostic = Diagnostic(.error, .jwksSyntax, "bad JSON", at: source.span)
        XCTAssertEqual(renderer.render(diagnostic), """
            p.yaml:1:7: error[GP300]: bad JSON
               1 | jwks: |
                 |       ^

            """)
    }

    func testUnderlineCountsCharactersNotBytes() {
        let source = MarkedSource("name: ⟨café⟩ # 日本\n", path: "p.yaml")
        let rendered = renderer.render(Diagnostic(.error, .invalidName, "bad", at: source.span))
        XCTAssertEqual(rendered, """
            p.yaml:1:7: error[GP211]: bad
               1 | name: café # 日本
                 |       ^^^^

            """)
    }

    func testTabsAreShownAsSpacesSoTheUnderlineLinesUp() {
        let source = MarkedSource("a:\t⟨x⟩\n", path: "p.yaml")
        let rendered = renderer.render(Diagnostic(.error, .yamlSyntax, "tab", at: source.span))
        XCTAssertEqual(rendered, """
            p.yaml:1:4: error[GP103]: tab
               1 | a: x
                 |    ^

            """)
    }

    func testCRLFLineIsShownWithoutItsCarriageReturn() {
        let source = MarkedSource("a: 1\r\n⟨b⟩: 2\r\n", path: "p.yaml")
        let rendered = renderer.render(Diagnostic(.error, .unknownKey, "unknown key `b`", at: source.span))
        XCTAssertEqual(rendered, "p.yaml:2:1: error[GP203]: unknown key `b`\n   2 | b: 2\n     | ^\n")
    }

    func testGutterWidensWithTheLineNumber() {
        let text = String(repeating: "a: 1\n", count: 11) + "⟨bad⟩: 1\n"
        let source = MarkedSource(text, path: "p.yaml")
        XCTAssertEqual(renderer.render(Diagnostic(.error, .unknownKey, "x", at: source.span)), """
            p.yaml:12:1: error[GP203]: x
               12 | bad: 1
                  | ^^^

            """)
    }

    func testDiagnosticWithoutLocation() {
        let diagnostic = Diagnostic(.error, .fileUnreadable, "no such file or directory: `x`", at: nil, hint: "check the path")
        XCTAssertEqual(renderer.render(diagnostic), "gatepass: error[GP100]: no such file or directory: `x`\n   help: check the path\n")
    }

    func testEmptyFileHasNoSnippet() {
        let file = SourceFile(path: "big.yaml", bytes: [])
        let diagnostic = Diagnostic(.error, .fileTooLarge, "too large", at: SourceSpan(file: file, start: 0, end: 0))
        XCTAssertEqual(renderer.render(diagnostic), "big.yaml:1:1: error[GP101]: too large\n")
    }

    /// The BOM is invisible in a terminal, so it must not shift the header column or the underline.
    func testbyteOrderMarkDoesNotShiftTheUnderline() {
        let source = MarkedSource("\u{FEFF}⟨isuer⟩: x\n", path: "p.yaml")
        let rendered = renderer.render(Diagnostic(.error, .unknownKey, "unknown key", at: source.span))
        XCTAssertEqual(rendered, "p.yaml:1:1: error[GP203]: unknown key\n   1 | isuer: x\n     | ^^^^^\n")
    }

    func testSeveralDiagnosticsAreSeparatedByBlankLines() {
        let source = MarkedSource("⟨a⟩: 1\n⟨b⟩: 2\n", path: "p.yaml")
        let text = renderer.render([
            Diagnostic(.error, .unknownKey, "one", at: source[0]),
            Diagnostic(.warning, .unknownKey, "two", at: source[1]),
        ])
        XCTAssertEqual(text, """
            p.yaml:1:1: error[GP203]: one
               1 | a: 1
                 | ^

            p.yaml:2:1: warning[GP203]: two
               2 | b: 2
                 | ^


            """)
    }

    func testColoursOnlyWhenAsked() {
        let source = MarkedSource("⟨a⟩: 1\n", path: "p.yaml")
        let diagnostic = Diagnostic(.error, .unknownKey, "one", at: source.span, hint: "h")
        XCTAssertFalse(renderer.render(diagnostic).contains("\u{1B}"))
        let coloured = TextRenderer(colors: true).render(diagnostic)
        XCTAssertTrue(coloured.contains("\u{1B}[1;31merror[GP203]\u{1B}[0m"))
        XCTAssertTrue(coloured.contains("\u{1B}[1;31m^\u{1B}[0m"))
        XCTAssertTrue(coloured.contains("\u{1B}[1mhelp\u{1B}[0m: h"))
    }

    func testSummaryLine() {
        XCTAssertEqual(TextRenderer.summary(errors: 2, warnings: 1, files: 5), "2 errors, 1 warning in 5 files")
        XCTAssertEqual(TextRenderer.summary(errors: 1, warnings: 2, files: 1), "1 error, 2 warnings in 1 file")
        XCTAssertEqual(TextRenderer.summary(errors: 0, warnings: 0, files: 0), "0 errors, 0 warnings in 0 files")
    }
}

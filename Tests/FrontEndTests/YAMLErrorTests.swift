import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Problems in the YAML layer: each one a located error, never a crash, never a cascade.
final class YAMLErrorTests: XCTestCase {
    private func read(_ source: MarkedSource, reader: YAMLReader = YAMLReader()) -> ([YAMLDocument], [Diagnostic]) {
        var bag = DiagnosticBag()
        let documents = reader.read(source.file, diagnostics: &bag)
        return (documents, bag.diagnostics)
    }

    func testSyntaxErrorAtLibyamlsMarkWithItsContextAsANote() {
        let source = MarkedSource("a: ⟨[⟩1, 2\nb⟨:⟩ 3\n")
        let (_, diagnostics) = read(source)
        XCTAssertDiagnostics(diagnostics, [
            Expected(.yamlSyntax, at: source[1], message: "did not find expected ',' or ']'", notes: [source[0]]),
        ])
        XCTAssertEqual(diagnostics.first?.notes.first?.message, "while parsing a flow sequence")
    }

    func testSyntaxErrorMarkAfterMultiByteCharactersIsAByteOffset() {
        let source = MarkedSource("é: ⟨[⟩日本, 2\nb⟨:⟩ 3\n")
        let (_, diagnostics) = read(source)
        XCTAssertDiagnostics(diagnostics, [Expected(.yamlSyntax, at: source[1], notes: [source[0]])])
    }

    func testValueWithColonGetsAQuotingHint() {
        let source = MarkedSource("a: b⟨:⟩ c\n")
        XCTAssertDiagnostics(read(source).1, [
            Expected(.yamlSyntax, at: source.span, message: "mapping values are not allowed", hint: "must be quoted"),
        ])
    }

    func testDocumentsBeforeASyntaxErrorAreKept() {
        let source = MarkedSource("a: 1\n---\nb: [\n⟨⟩")
        let (documents, diagnostics) = read(source)
        XCTAssertEqual(documents.count, 1)
        // An empty span at the end of the file: a span never reaches past the last byte
        // (the policy fuzz target found libyaml's end-of-stream mark one byte outside).
        let endOfStream = source.span
        XCTAssertEqual(endOfStream.end, source.file.bytes.count)
        XCTAssertDiagnostics(diagnostics, [Expected(.yamlSyntax, at: endOfStream, notes: [endOfStream])])
    }

    func testDuplicateKeyPointsAtTheSecondWithANoteAtTheFirst() {
        let source = MarkedSource("⟨name⟩: a\nissuer: x\n⟨name⟩: b\n")
        let (documents, diagnostics) = read(source)
        XCTAssertDiagnostics(diagnostics, [Expected(.duplicateKey, at: source[1], message: "`name`", notes: [source[0]])])
        XCTAssertEqual(documents.first?.root.mapping?.count, 2, "the second value is dropped")
    }

    func testDuplicateKeyInAnEntryIsTheOnlyDiagnostic() {
        let source = MarkedSource(entryYAML("⟨issuer⟩: https://x\n").replacingOccurrences(of: "issuer: https://auth", with: "⟨issuer⟩: https://auth"))
        let (_, diagnostics) = decode(source)
        XCTAssertDiagnostics(diagnostics, [Expected(.duplicateKey, at: source[1], notes: [source[0]])])
    }

    func testQuotedAndPlainSpellingsOfAKeyAreDuplicates() {
        let source = MarkedSource("⟨a⟩: 1\n⟨\"a\"⟩: 2\n")
        XCTAssertDiagnostics(read(source).1, [Expected(.duplicateKey, at: source[1], notes: [source[0]])])
    }

    func testOnlyTheFirstAnchorOrAliasOfAFileIsReported() {
        // A billion-laughs file has thousands of aliases: one diagnostic says it all.
        let source = MarkedSource(entryYAML("subject: ⟨&who svc⟩\naudiences: [*who]\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.anchorOrAlias, at: source[0], message: "`&who`"),
        ])
    }

    func testAnAliasWhereARequiredValueBelongsIsOneDiagnostic() {
        for key in ["issuer", "name", "authorization", "jwks"] {
            let yaml = entryYAML().split(separator: "\n").map { line in
                line.hasPrefix("\(key):") ? "\(key): ⟨*elsewhere⟩" : String(line)
            }.joined(separator: "\n") + "\n"
            let source = MarkedSource(yaml)
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.anchorOrAlias, at: source.span)], "alias for \(key)")
        }
    }

    func testAliasesInNestedPlacesCascadeNothing() {
        for place in ["enabled: ⟨*a⟩\n", "clockSkew: ⟨*b⟩\n", "token: ⟨*c⟩\n", "claims: { sub: { equals: ⟨*d⟩ } }\n",
                      "forwardClaims: { sub: ⟨*e⟩ }\n"] {
            let source = MarkedSource(entryYAML(place))
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.anchorOrAlias, at: source.span)], place)
        }
        let source = MarkedSource(entryYAML(
            "", authorization: "authorization: { mode: blacklist, rules: [{ domain: ⟨*f⟩, path: *g }] }\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.anchorOrAlias, at: source.span)])
    }

    func testTagsOutsideTheCoreSchema() {
        let source = MarkedSource("a: ⟨!custom 1⟩\nb: ⟨!!binary aGk=⟩\nc: !!str 5\nd: ! 6\ne: !!int 7\n")
        let (documents, diagnostics) = read(source)
        XCTAssertDiagnostics(diagnostics, [
            Expected(.unsupportedTag, at: source[0], message: "`!custom`"),
            Expected(.unsupportedTag, at: source[1], message: "binary"),
        ])
        let pairs = documents.first?.root.mapping ?? []
        XCTAssertTrue(pairs[0].value.isInvalid)
        XCTAssertEqual(pairs[2].value.scalar?.forcedString, true)
        XCTAssertEqual(pairs[3].value.scalar?.forcedString, true)
        XCTAssertEqual(pairs[4].value.tag, "int")
    }

    func testABadTagWhereABooleanBelongsIsOneDiagnostic() {
        let source = MarkedSource(entryYAML("enabled: ⟨!!python/bool yes⟩\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.unsupportedTag, at: source.span)])
    }

    func testInvalidUTF8IsLocatedAtTheFirstBadByte() {
        let cases: [(String, [UInt8])] = [
            ("Latin-1 é", [0xE9]),
            ("overlong /", [0xC0, 0xAF]),
            ("overlong three bytes", [0xE0, 0x80, 0xAF]),
            ("surrogate", [0xED, 0xA0, 0x80]),
            ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("lone continuation", [0x80]),
            ("truncated at the end", [0xE2, 0x82]),
        ]
        for (label, bad) in cases {
            let prefix = Array("version: 1\nname: é".utf8)
            let file = SourceFile(path: "p.yaml", bytes: prefix + bad + (label.hasPrefix("truncated") ? [] : Array("x\n".utf8)))
            var bag = DiagnosticBag()
            let documents = YAMLReader().read(file, diagnostics: &bag)
            XCTAssertTrue(documents.isEmpty, label)
            XCTAssertDiagnostics(bag.diagnostics, [
                Expected(.invalidUTF8, at: SourceSpan(file: file, start: prefix.count, end: prefix.count + 1),
                         message: "0x\(String(bad[0], radix: 16, uppercase: true))"),
            ], label)
            XCTAssertEqual(bag.diagnostics.first?.span?.startLocation.line, 2, label)
            XCTAssertEqual(bag.diagnostics.first?.span?.startLocation.column, 8, label)
        }
    }

    func testNestingUpToTheBoundIsAccepted() {
        let depth = YAMLReader.defaultMaxDepth
        XCTAssertEqual(depth, 64)
        let yaml = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let (documents, diagnostics) = read(MarkedSource(yaml))
        XCTAssertNoDiagnostics(diagnostics)
        XCTAssertEqual(documents.count, 1)
    }

    func testNestingPastTheBoundIsOneErrorAtTheFirstLevelTooDeep() {
        let source = MarkedSource("deep: " + String(repeating: "[", count: 63) + "⟨[⟩" + String(repeating: "]", count: 64) + "\nnext: 1\n")
        let (documents, diagnostics) = read(source)
        XCTAssertDiagnostics(diagnostics, [Expected(.nestingTooDeep, at: source.span, message: "64")])
        XCTAssertEqual(documents.first?.root.mapping?.last?.keyText, "next", "reading goes on after the deep value")
    }

    func testVeryDeepNestingNeitherCrashesNorCascades() {
        let depth = 20_000
        let source = MarkedSource("a: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth) + "\n")
        let (_, diagnostics) = read(source)
        XCTAssertEqual(diagnostics.map(\.code), [.nestingTooDeep])
    }

    func testATooDeepValueInAnEntryIsOneDiagnostic() {
        let source = MarkedSource("""
            version: 1
            name: partner-api
            issuer: https://auth.example.com
            jwks: '{"keys": []}'
            audiences: [⟨[⟩a]]
            authorization: {mode: whitelist}

            """)
        let (_, bag) = PolicySetLoader(reader: YAMLReader(maxDepth: 2)).decode(files: [source.file])
        XCTAssertDiagnostics(bag.diagnostics, [Expected(.nestingTooDeep, at: source.span)])
    }

    func testASmallerNestingBound() {
        let source = MarkedSource("a: ⟨[⟩1]\n")
        let (_, diagnostics) = read(source, reader: YAMLReader(maxDepth: 1))
        XCTAssertDiagnostics(diagnostics, [Expected(.nestingTooDeep, at: source.span)])
    }
}

import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// `YAMLNode.span(ofValueRange:)` maps offsets in a scalar's decoded value back to the source.
final class ValueSpanTests: XCTestCase {
    /// The start of the value's `offset`-th byte in the source.
    private func sourceStart(_ node: YAMLNode?, valueOffset offset: Int) -> SourceSpan? {
        node?.span(ofValueRange: offset..<(offset + 1))
    }

    func testPlainAndQuotedValuesMapCharacterForCharacter() {
        let plain = MarkedSource("n: abc⟨d⟩ef\n")
        XCTAssertSpan(sourceStart(yamlValue("n", in: plain), valueOffset: 3), plain.span)
        let quoted = MarkedSource("n: \"a\\\"b⟨c⟩\"\n")
        XCTAssertSpan(sourceStart(yamlValue("n", in: quoted), valueOffset: 3), quoted.span)
        let single = MarkedSource("n: 'it''s ⟨x⟩'\n")
        XCTAssertSpan(sourceStart(yamlValue("n", in: single), valueOffset: 5), single.span)
    }

    /// The console's seed JWKS `n`, wrapped over several lines: the first fold is at the end of the first line.
    func testFirstFoldOfAWrappedPlainScalarIsTheEndOfItsFirstLine() throws {
        let source = MarkedSource("""
            n: 0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4⟨⟩
               cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3
               oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v
            e: AQAB

            """)
        let node = try XCTUnwrap(yamlValue("n", in: source))
        let value = try XCTUnwrap(node.scalar?.value)
        let fold = try XCTUnwrap(value.utf8.firstIndex(of: UInt8(ascii: " ")))
        let offset = value.utf8.distance(from: value.utf8.startIndex, to: fold)
        let span = try XCTUnwrap(sourceStart(node, valueOffset: offset))
        XCTAssertEqual(span.start, source.span.start)
        XCTAssertEqual(span.startLocation.line, 1)
        XCTAssertEqual(span.startLocation.column, 56)
        // The character after the fold is the first of the second line.
        XCTAssertEqual(sourceStart(node, valueOffset: offset + 1)?.startLocation.line, 2)
        XCTAssertEqual(sourceStart(node, valueOffset: offset + 1)?.startLocation.column, 4)
    }

    func testFirstFoldOfAWrappedDoubleQuotedJWKSIsTheEndOfItsFirstLine() throws {
        let source = MarkedSource("""
            jwks: "{\\"keys\\":[{\\"kty\\":\\"RSA\\",\\"e\\":\\"AQAB\\",\\"n\\":\\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbX⟨⟩
              Eps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc
              _BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ\\"}]}"

            """)
        let node = try XCTUnwrap(yamlValue("jwks", in: source))
        let value = try XCTUnwrap(node.scalar?.value)
        let fold = try XCTUnwrap(value.utf8.firstIndex(of: UInt8(ascii: " ")))
        let offset = value.utf8.distance(from: value.utf8.startIndex, to: fold)
        XCTAssertEqual(sourceStart(node, valueOffset: offset)?.start, source.span.start)
        XCTAssertEqual(sourceStart(node, valueOffset: offset + 1)?.startLocation.line, 2)
        XCTAssertEqual(sourceStart(node, valueOffset: offset + 1)?.startLocation.column, 3)
    }

    func testFoldInACRLFFileIsTheEndOfTheFirstLine() throws {
        let source = MarkedSource("n: abc⟨⟩\r\n   def\r\n")
        let node = try XCTUnwrap(yamlValue("n", in: source))
        XCTAssertEqual(node.scalar?.value, "abc def")
        XCTAssertEqual(sourceStart(node, valueOffset: 3)?.start, source.span.start)
        XCTAssertEqual(sourceStart(node, valueOffset: 4)?.startLocation.line, 2)
    }

    /// JSON pasted in a `|` block keeps its own indentation: an offset on its second line maps there.
    func testliteralBlockOfIndentedJSONMapsTheSecondLine() throws {
        let source = MarkedSource("""
            jwks: |
              {
                "⟨keys⟩": [
                  { "kty": "RSA" }
                ]
              }

            """)
        let node = try XCTUnwrap(yamlValue("jwks", in: source))
        let value = try XCTUnwrap(node.scalar?.value)
        XCTAssertTrue(value.hasPrefix("{\n  \"keys\""))
        let span = node.span(ofValueRange: 5..<9)
        XCTAssertSpan(span, source.span)
        XCTAssertEqual(span.startLocation.line, 3)
        XCTAssertEqual(span.startLocation.column, 6)
    }

    func testLiteralBlockWithoutExtraIndentationMapsTheSecondLine() throws {
        let source = MarkedSource("jwks: |\n  {\"keys\":\n  [{\"⟨kty⟩\": \"RSA\"}]}\n")
        let node = try XCTUnwrap(yamlValue("jwks", in: source))
        let value = try XCTUnwrap(node.scalar?.value)
        let kty = try XCTUnwrap(value.range(of: "kty"))
        let start = value.utf8.distance(from: value.utf8.startIndex, to: kty.lowerBound)
        XCTAssertSpan(node.span(ofValueRange: start..<(start + 3)), source.span)
    }

    func testAnEscapeThatChangedACharacterFallsBackToTheWholeScalar() throws {
        let source = MarkedSource("n: ⟨\"\\x41BC\"⟩\n")
        let node = try XCTUnwrap(yamlValue("n", in: source))
        XCTAssertSpan(node.span(ofValueRange: 1..<2), source.span)
    }

    func testTokenNameErrorPointsAtTheBadCharacter() {
        let source = MarkedSource(entryYAML("token: { from: header, name: \"X⟨ ⟩Token\" }\n"))
        XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidTokenLocation, at: source.span)])
    }
}

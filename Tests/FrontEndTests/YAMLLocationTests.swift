import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Every key and value of the located YAML tree carries its exact byte span.
final class YAMLLocationTests: XCTestCase {
    private func pairs(_ source: MarkedSource, file: StaticString = #filePath, line: UInt = #line) -> [YAMLPair] {
        var bag = DiagnosticBag()
        let documents = YAMLReader().read(source.file, diagnostics: &bag)
        XCTAssertNoDiagnostics(bag.diagnostics, file: file, line: line)
        return documents.first?.root.mapping ?? []
    }

    func testFirstLine() {
        let source = MarkedSource("⟨version⟩: ⟨1⟩\nname: x\n")
        let first = pairs(source)[0]
        XCTAssertSpan(first.key.span, source[0])
        XCTAssertSpan(first.value.span, source[1])
        XCTAssertEqual(first.key.span.startLocation.line, 1)
        XCTAssertEqual(first.key.span.startLocation.column, 1)
    }

    func testLastLineWithoutTrailingNewline() {
        let source = MarkedSource("a: 1\n⟨b⟩: ⟨last⟩")
        let last = pairs(source)[1]
        XCTAssertSpan(last.key.span, source[0])
        XCTAssertSpan(last.value.span, source[1])
        XCTAssertEqual(last.value.span.end, source.file.bytes.count)
        XCTAssertEqual(last.value.span.endLocation.line, 2)
        XCTAssertEqual(last.value.span.endLocation.column, 8)
    }

    func testLastLineWithTrailingNewline() {
        let source = MarkedSource("a: 1\n⟨b⟩: ⟨last⟩\n")
        let last = pairs(source)[1]
        XCTAssertSpan(last.key.span, source[0])
        XCTAssertSpan(last.value.span, source[1])
    }

    func testMultiByteCharactersCountOneColumnEach() {
        let source = MarkedSource("name: 日本語\n⟨ключ⟩: ⟨café⟩ # é\nx: ⟨🔑⟩\n")
        let all = pairs(source)
        XCTAssertSpan(all[1].key.span, source[0])
        XCTAssertSpan(all[1].value.span, source[1])
        XCTAssertSpan(all[2].value.span, source[2])
        XCTAssertEqual(all[1].value.span.startLocation.column, 7, "columns count characters")
        XCTAssertEqual(all[1].value.span.endLocation.column, 11)
        XCTAssertEqual(all[1].value.span.end - all[1].value.span.start, 5, "byte offsets stay exact")
        XCTAssertEqual(all[2].value.span.end - all[2].value.span.start, 4)
        XCTAssertEqual(all[1].value.scalar?.value, "café")
    }

    func testCRLFFile() {
        let source = MarkedSource("a: 1\r\n⟨b⟩: ⟨two⟩\r\nc:\r\n  - ⟨x⟩\r\n")
        let all = pairs(source)
        XCTAssertSpan(all[1].key.span, source[0])
        XCTAssertSpan(all[1].value.span, source[1])
        XCTAssertSpan(all[2].value.sequence?.first?.span, source[2])
        XCTAssertEqual(all[1].value.scalar?.value, "two")
        XCTAssertEqual(all[2].value.sequence?.first?.span.startLocation.line, 4)
        XCTAssertEqual(all[2].value.sequence?.first?.span.startLocation.column, 5)
    }

    func testByteOrderMarkKeepsByteOffsetsExact() {
        let source = MarkedSource("\u{FEFF}⟨version⟩: ⟨1⟩\n⟨name⟩: ⟨é⟩\n")
        let all = pairs(source)
        XCTAssertSpan(all[0].key.span, source[0])
        XCTAssertSpan(all[0].value.span, source[1])
        XCTAssertSpan(all[1].key.span, source[2])
        XCTAssertSpan(all[1].value.span, source[3])
        XCTAssertEqual(all[1].key.span.startLocation.column, 1)
    }

    func testQuotedScalarSpanIncludesItsQuotes() {
        let source = MarkedSource("a: ⟨\"x y\"⟩\nb: ⟨'z'⟩\n")
        let all = pairs(source)
        XCTAssertSpan(all[0].value.span, source[0])
        XCTAssertSpan(all[1].value.span, source[1])
        XCTAssertEqual(all[0].value.scalar?.value, "x y")
        XCTAssertEqual(all[0].value.scalar?.style, .doubleQuoted)
    }

    func testFlowCollectionsSpanTheirBrackets() {
        let mapping = MarkedSource("a: ⟨{ b: 1, c: [2] }⟩\n")
        XCTAssertSpan(pairs(mapping)[0].value.span, mapping.span)
        let sequence = MarkedSource("a: ⟨[x, { y: 1 }]⟩\n")
        XCTAssertSpan(pairs(sequence)[0].value.span, sequence.span)
        XCTAssertEqual(pairs(sequence)[0].value.sequence?.count, 2)
    }

    func testItemsOfAFlowListAreLocated() {
        let source = MarkedSource("audiences: [⟨a⟩, ⟨\"b\"⟩,\n  ⟨c⟩]\n")
        let items = pairs(source)[0].value.sequence ?? []
        XCTAssertEqual(items.count, 3)
        for (item, span) in zip(items, source.spans) { XCTAssertSpan(item.span, span) }
    }

    /// A block collection ends with its last value, not at the first token after it.
    func testblockCollectionsEndAtTheirLastValue() {
        let mapping = MarkedSource("a:\n  ⟨b: 1\n  c: 2⟩\n\n# comment\nd: 3\n")
        XCTAssertSpan(pairs(mapping)[0].value.span, mapping.span)
        let sequence = MarkedSource("a:\n  ⟨- x\n  - y⟩\nb: 1\n")
        XCTAssertSpan(pairs(sequence)[0].value.span, sequence.span)
    }

    func testSeveralDocumentsAreReadInOrder() {
        let source = MarkedSource("a: ⟨1⟩\n---\na: ⟨2⟩\n...\n---\n# only a comment\n")
        var bag = DiagnosticBag()
        let documents = YAMLReader().read(source.file, diagnostics: &bag)
        XCTAssertNoDiagnostics(bag.diagnostics)
        XCTAssertEqual(documents.count, 3)
        XCTAssertSpan(documents[0].root.mapping?.first?.value.span, source[0])
        XCTAssertSpan(documents[1].root.mapping?.first?.value.span, source[1])
        XCTAssertEqual(documents[2].root.scalar?.isNull, true, "an empty document is a null scalar")
    }
}

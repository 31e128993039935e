import Diagnostics
import TestSupport
import XCTest

/// The line table and the conversion of byte offsets to 1-based lines and character columns.
final class SourceFileTests: XCTestCase {
    func testLineStartsForEveryKindOfLineBreak() {
        let file = SourceFile(path: "a.yaml", text: "a\nbc\r\nd\re")
        XCTAssertEqual(file.lineStarts, [0, 2, 6, 8])
        XCTAssertEqual((0..<4).map { file.lineText($0) }, ["a", "bc", "d", "e"])
    }

    func testFirstLineStartsAtLineOneColumnOne() {
        let source = MarkedSource("⟨version⟩: 1\nname: x\n")
        XCTAssertEqual(Where(source.span.startLocation), Where(offset: 0, line: 1, column: 1))
        XCTAssertEqual(Where(source.span.endLocation), Where(offset: 7, line: 1, column: 8))
    }

    func testLastLineWithoutTrailingNewline() {
        let source = MarkedSource("a: 1\nb: ⟨two⟩")
        XCTAssertEqual(Where(source.span.startLocation), Where(offset: 8, line: 2, column: 4))
        XCTAssertEqual(Where(source.span.endLocation), Where(offset: 11, line: 2, column: 7))
        XCTAssertEqual(source.file.lineStarts.count, 2)
        XCTAssertEqual(source.file.lineText(1), "b: two")
    }

    func testLastLineWithTrailingNewline() {
        let source = MarkedSource("a: 1\nb: ⟨two⟩\n⟨⟩")
        XCTAssertEqual(Where(source[0].endLocation), Where(offset: 11, line: 2, column: 7))
        // The end of the file is the start of an empty last line.
        XCTAssertEqual(Where(source[1].startLocation), Where(offset: 12, line: 3, column: 1))
        XCTAssertEqual(source.file.lineText(2), "")
    }

    func testColumnsCountCharactersAndOffsetsStayInBytes() {
        // é is 2 bytes, 日 and 本 are 3 bytes each, 🔑 is 4 bytes, e + U+0301 is one character of 3 bytes.
        let source = MarkedSource("é: ⟨a⟩\n日本: ⟨b⟩\n🔑 ⟨c⟩\ne\u{301}⟨d⟩")
        XCTAssertEqual(Where(source[0].startLocation), Where(offset: 4, line: 1, column: 4))
        XCTAssertEqual(Where(source[1].startLocation), Where(offset: 14, line: 2, column: 5))
        XCTAssertEqual(Where(source[2].startLocation), Where(offset: 21, line: 3, column: 3))
        XCTAssertEqual(Where(source[3].startLocation), Where(offset: 26, line: 4, column: 2))
    }

    func testCRLFLinesExcludeTheBreakFromTextAndColumns() {
        let source = MarkedSource("a: 1\r\nb: ⟨2⟩⟨⟩\r\nc: 3\r\n")
        XCTAssertEqual(source.file.lineStarts, [0, 6, 12, 18])
        XCTAssertEqual(Where(source[0].startLocation), Where(offset: 9, line: 2, column: 4))
        XCTAssertEqual(Where(source[1].startLocation), Where(offset: 10, line: 2, column: 5))
        XCTAssertEqual(source.file.lineText(1), "b: 2")
        XCTAssertEqual(source.file.lineRange(1), 6..<10)
    }

    func testLoneCarriageReturnEndsALine() {
        let source = MarkedSource("a: 1\rb: ⟨2⟩")
        XCTAssertEqual(Where(source.span.startLocation), Where(offset: 8, line: 2, column: 4))
    }

    /// A byte order mark is not a character anyone sees: the first key is at column 1.
    func testbyteOrderMarkIsNotCountedAsAColumn() {
        let source = MarkedSource("\u{FEFF}⟨version⟩: 1\nname: x\n")
        XCTAssertEqual(source.span.start, 3, "byte offsets stay exact")
        XCTAssertEqual(Where(source.span.startLocation), Where(offset: 3, line: 1, column: 1))
        XCTAssertEqual(Where(source.span.endLocation), Where(offset: 10, line: 1, column: 8))
    }

    func testOffsetsOutsideTheFileAreClamped() {
        let file = SourceFile(path: "a.yaml", text: "ab\ncd")
        XCTAssertEqual(Where(file.location(of: -4)), Where(offset: 0, line: 1, column: 1))
        XCTAssertEqual(Where(file.location(of: 99)), Where(offset: 5, line: 2, column: 3))
    }

    func testEmptyFileHasOneEmptyLine() {
        let file = SourceFile(path: "empty.yaml", bytes: [])
        XCTAssertEqual(file.lineStarts, [0])
        XCTAssertEqual(Where(file.location(of: 0)), Where(offset: 0, line: 1, column: 1))
        XCTAssertEqual(file.lineText(0), "")
    }

    func testSpanDescriptionUnionAndReversedBounds() {
        let source = MarkedSource("a: 1\nb: ⟨x⟩ ⟨y⟩\n", path: "dir/p.yaml")
        XCTAssertEqual(source[0].description, "dir/p.yaml:2:4")
        let union = source[1].union(source[0])
        XCTAssertEqual(union.start, source[0].start)
        XCTAssertEqual(union.end, source[1].end)
        let reversed = SourceSpan(file: source.file, start: 6, end: 2)
        XCTAssertEqual(reversed.end, 6, "a span never ends before it starts")
    }

    func testFilesCompareByIdentity() {
        let a = SourceFile(path: "p.yaml", text: "x")
        let b = SourceFile(path: "p.yaml", text: "x")
        XCTAssertEqual(a, a)
        XCTAssertNotEqual(a, b)
    }
}

/// A comparable copy of a `SourceLocation` (whose memberwise initialiser is internal).
private struct Where: Equatable, CustomStringConvertible {
    var offset, line, column: Int

    init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    init(_ location: SourceLocation) {
        self.init(offset: location.offset, line: location.line, column: location.column)
    }

    var description: String { "offset \(offset), line \(line), column \(column)" }
}

public import Diagnostics
import XCTest

/// One diagnostic a test expects: its code and exact span, and words its message, hint and notes contain.
public struct Expected {
    public var code: DiagnosticCode
    public var span: SourceSpan?
    public var message: String?
    public var hint: String?
    public var notes: [SourceSpan]

    public init(_ code: DiagnosticCode, at span: SourceSpan?, message: String? = nil, hint: String? = nil, notes: [SourceSpan] = []) {
        self.code = code
        self.span = span
        self.message = message
        self.hint = hint
        self.notes = notes
    }
}

/// Fails unless `actual` holds exactly the `expected` diagnostics, in reading order.
/// The failure message shows every actual diagnostic rendered with its snippet.
public func XCTAssertDiagnostics(
    _ actual: [Diagnostic], _ expected: [Expected], _ context: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    var bag = DiagnosticBag()
    bag.append(contentsOf: actual)
    let sorted = bag.sorted
    let rendered = " \(context)\n" + TextRenderer().render(sorted)
    guard sorted.count == expected.count else {
        XCTFail("expected \(expected.count) diagnostics, got \(sorted.count):\(rendered)", file: file, line: line)
        return
    }
    // The bag's reading order: path, offset, code, then the order given.
    let ordered = expected.enumerated().sorted { lhs, rhs in
        let a = lhs.element, b = rhs.element
        let pathA = a.span?.file.path ?? "", pathB = b.span?.file.path ?? ""
        if pathA != pathB { return pathA < pathB }
        if (a.span?.start ?? -1) != (b.span?.start ?? -1) { return (a.span?.start ?? -1) < (b.span?.start ?? -1) }
        if a.code.id != b.code.id { return a.code.id < b.code.id }
        return lhs.offset < rhs.offset
    }.map(\.element)
    for (diagnostic, want) in zip(sorted, ordered) {
        XCTAssertEqual(diagnostic.code.id, want.code.id, "code:\(rendered)", file: file, line: line)
        if let span = want.span {
            XCTAssertSpan(diagnostic.span, span, "for \(diagnostic.code): \(diagnostic.message)", file: file, line: line)
        } else {
            XCTAssertNil(diagnostic.span, file: file, line: line)
        }
        if let words = want.message {
            XCTAssertTrue(diagnostic.message.contains(words), "message `\(diagnostic.message)` lacks `\(words)`", file: file, line: line)
        }
        if let words = want.hint {
            XCTAssertTrue(diagnostic.hint?.contains(words) == true, "hint `\(diagnostic.hint ?? "none")` lacks `\(words)`", file: file, line: line)
        }
        XCTAssertEqual(diagnostic.notes.count, want.notes.count, "notes of \(diagnostic.message)", file: file, line: line)
        for (note, span) in zip(diagnostic.notes, want.notes) {
            XCTAssertSpan(note.span, span, "note `\(note.message)`", file: file, line: line)
        }
    }
}

public func XCTAssertNoDiagnostics(_ actual: [Diagnostic], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertDiagnostics(actual, [], file: file, line: line)
}

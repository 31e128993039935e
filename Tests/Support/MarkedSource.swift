public import Diagnostics
import XCTest

/// Source text with expected locations marked inline by `⟨` and `⟩`.
///
/// `MarkedSource("name: ⟨my-api⟩\n")` makes a `SourceFile` of the text without the
/// markers and keeps the byte range between each pair of markers, so a test says where a
/// span must be by pointing at it, never by counting lines and columns. `⟨⟩` marks an
/// empty span (a position). Markers are found in the UTF-8 bytes, so CRLF line breaks,
/// a BOM and multi-byte characters reach the file unchanged.
public struct MarkedSource {
    private static let open = Array("⟨".utf8)
    private static let close = Array("⟩".utf8)

    public let file: SourceFile
    /// The marked spans, in the order their `⟨` appears.
    public let spans: [SourceSpan]

    public init(_ marked: String, path: String = "policy.yaml") {
        let input = Array(marked.utf8)
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        var openedAt: Int?
        var index = 0
        while index < input.count {
            if input[index...].starts(with: Self.open) {
                precondition(openedAt == nil, "markers do not nest")
                openedAt = bytes.count
                index += Self.open.count
            } else if input[index...].starts(with: Self.close) {
                guard let start = openedAt else { preconditionFailure("`⟩` without `⟨`") }
                ranges.append(start..<bytes.count)
                openedAt = nil
                index += Self.close.count
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        precondition(openedAt == nil, "`⟨` without `⟩`")
        let file = SourceFile(path: path, bytes: bytes)
        self.file = file
        self.spans = ranges.map { SourceSpan(file: file, start: $0.lowerBound, end: $0.upperBound) }
    }

    /// The only marked span.
    public var span: SourceSpan {
        precondition(spans.count == 1, "expected exactly one marked span, found \(spans.count)")
        return spans[0]
    }

    public subscript(index: Int) -> SourceSpan { spans[index] }
}

/// `path:line:col-line:col "text" [start..<end]`, for failure messages that show where a span really is.
public func describe(_ span: SourceSpan?) -> String {
    guard let span else { return "no span" }
    let start = span.startLocation, end = span.endLocation
    let upper = min(span.end, span.file.bytes.count)
    let text = String(decoding: span.file.bytes[min(span.start, upper)..<upper], as: UTF8.self)
    return "\(span.file.path):\(start.line):\(start.column)-\(end.line):\(end.column) \"\(text)\" [\(span.start)..<\(span.end)]"
}

/// Fails unless `actual` is exactly `expected`: the same file and the same byte range.
public func XCTAssertSpan(
    _ actual: SourceSpan?, _ expected: SourceSpan, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard let actual, actual.file === expected.file, actual.start == expected.start, actual.end == expected.end else {
        XCTFail("span is \(describe(actual)), expected \(describe(expected)) \(message)", file: file, line: line)
        return
    }
}

/// One input file: its display path, its bytes, and a line table built once.
///
/// Positions are stored everywhere as byte offsets; line and column numbers are
/// computed from the line table only when a diagnostic is rendered.
public final class SourceFile: Sendable, Hashable, CustomStringConvertible {
    /// The path shown to users (as given on the command line, joined with relative names).
    public let path: String
    /// The raw bytes of the file.
    public let bytes: [UInt8]
    /// Byte offset of the first byte of every line. A line ends at `\n`, `\r\n` or a lone `\r`.
    public let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                starts.append(index + 1)
            } else if byte == UInt8(ascii: "\r") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                starts.append(index + 1)
            }
            index += 1
        }
        self.lineStarts = starts
    }

    public convenience init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// 1-based line and column of a byte offset; the column counts characters, not bytes.
    public func location(of offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, bytes.count))
        let lineIndex = lineIndex(containing: clamped)
        var start = lineStarts[lineIndex]
        // A UTF-8 byte order mark is not a character of the first line.
        if lineIndex == 0, clamped >= 3, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return SourceLocation(offset: clamped, line: lineIndex + 1, column: prefix.count + 1)
    }

    /// The 0-based index of the line that holds `offset`.
    public func lineIndex(containing offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The byte range of a line's text (0-based index), without its line break.
    public func lineRange(_ lineIndex: Int) -> Range<Int> {
        var start = lineStarts[lineIndex]
        if lineIndex == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var end = lineIndex + 1 < lineStarts.count ? lineStarts[lineIndex + 1] : bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return start..<end
    }

    /// The text of a line (0-based index), without its line break.
    public func lineText(_ lineIndex: Int) -> String {
        String(decoding: bytes[lineRange(lineIndex)], as: UTF8.self)
    }

    public var description: String { path }

    public static func == (lhs: SourceFile, rhs: SourceFile) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// A resolved position: byte offset, 1-based line, 1-based column in characters.
public struct SourceLocation: Sendable, Hashable {
    public var offset: Int
    public var line: Int
    public var column: Int
}

/// A half-open byte range in one source file.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// A span covering both spans (they must be in the same file).
    public func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public var startLocation: SourceLocation { file.location(of: start) }
    public var endLocation: SourceLocation { file.location(of: end) }

    /// `path:line:col`, the form compilers print.
    public var description: String {
        let location = startLocation
        return "\(file.path):\(location.line):\(location.column)"
    }
}

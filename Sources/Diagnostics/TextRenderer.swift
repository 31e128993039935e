/// Renders diagnostics the way compilers do:
///
/// ```
/// Policies/partner.yaml:12:1: error[GP203]: unknown key `isuer` in authentication entry
///    12 | isuer: https://auth.example.com
///       | ^^^^^
///    help: did you mean `issuer`?
/// ```
///
/// Colour is a decoration added only when asked for (on a terminal).
public struct TextRenderer: Sendable {
    public var colors: Bool

    public init(colors: Bool = false) {
        self.colors = colors
    }

    /// One diagnostic with its snippet, notes and hint, ending in a newline.
    public func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        let label = "\(diagnostic.severity.rawValue)[\(diagnostic.code.id)]"
        out += header(span: diagnostic.span, label: paint(label, severity: diagnostic.severity), message: diagnostic.message)
        if let span = diagnostic.span { out += snippet(span, severity: diagnostic.severity) }
        for note in diagnostic.notes {
            if let span = note.span {
                out += header(span: span, label: paint("note", severity: .note), message: note.message)
                out += snippet(span, severity: .note)
            } else {
                out += "   \(paint("note", severity: .note)): \(note.message)\n"
            }
        }
        if let hint = diagnostic.hint {
            out += "   \(bold("help")): \(hint)\n"
        }
        return out
    }

    /// All diagnostics in reading order, each followed by a blank line.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { render($0) + "\n" }.joined()
    }

    /// `2 errors, 1 warning in 5 files`
    public static func summary(errors: Int, warnings: Int, files: Int) -> String {
        "\(plural(errors, "error")), \(plural(warnings, "warning")) in \(plural(files, "file"))"
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    private func header(span: SourceSpan?, label: String, message: String) -> String {
        guard let span else { return "gatepass: \(label): \(message)\n" }
        return "\(bold(span.description)): \(label): \(message)\n"
    }

    private func snippet(_ span: SourceSpan, severity: Severity) -> String {
        let file = span.file
        guard !file.bytes.isEmpty else { return "" }
        let start = file.location(of: span.start)
        let lineIndex = start.line - 1
        let lineRange = file.lineRange(lineIndex)
        let text = file.lineText(lineIndex).map { $0 == "\t" ? " " : $0 }
        let endOffset = min(max(span.end, span.start), lineRange.upperBound)
        let endColumn = file.location(of: endOffset).column
        let window = Self.window(line: text, column: start.column - 1, width: max(1, endColumn - start.column))
        let gutter = String(start.line)
        let pad = String(repeating: " ", count: gutter.count)
        var out = "   \(gutter) | \(window.text)\n"
        out += "   \(pad) | \(String(repeating: " ", count: window.caretColumn))"
        out += paint(String(repeating: "^", count: window.caretWidth), severity: severity) + "\n"
        return out
    }

    /// Lines longer than this many characters are shown as a window around the span.
    static let maxSnippetWidth = 100

    /// The part of a long line (a pasted key, a folded value) shown around a span, with
    /// `…` where it is cut, and where the underline goes in it; a short line as it is.
    static func window(line: [Character], column: Int, width: Int) -> (text: String, caretColumn: Int, caretWidth: Int) {
        guard line.count > maxSnippetWidth else { return (String(line), column, width) }
        let lead = 16
        let first = max(0, min(column - lead, line.count - maxSnippetWidth))
        let last = min(line.count, first + maxSnippetWidth)
        let prefix = first > 0 ? "…" : ""
        let text = prefix + String(line[first..<last]) + (last < line.count ? "…" : "")
        let caretColumn = column - first + prefix.count
        let caretWidth = max(1, min(width, last - column))
        return (text, caretColumn, caretWidth)
    }

    private func paint(_ text: String, severity: Severity) -> String {
        guard colors else { return text }
        let code = switch severity {
        case .error: "1;31"
        case .warning: "1;33"
        case .note: "1;36"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    private func bold(_ text: String) -> String {
        colors ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}

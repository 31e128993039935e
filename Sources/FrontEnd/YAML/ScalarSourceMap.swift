public import Diagnostics

extension YAMLNode {
    /// The source span of `range` (byte offsets into a scalar's decoded value).
    ///
    /// YAML removes quotes, indentation, escapes and folds line breaks, so the value is
    /// aligned with its source text: equal bytes advance together, and source bytes
    /// that decoding removed (indentation, quotes, backslashes) are skipped; a folded
    /// line break matches the space it became. Where the alignment fails (an escape that
    /// changed a character), the whole scalar's span is returned rather than a guess.
    public func span(ofValueRange range: Range<Int>) -> SourceSpan {
        guard let scalar else { return span }
        guard let start = sourceOffset(ofValueOffset: range.lowerBound, in: scalar) else { return span }
        let end = sourceOffset(ofValueOffset: range.upperBound, in: scalar) ?? start + 1
        // Never past the file's last byte (an error at the end of a scalar that ends the file).
        let limit = span.file.bytes.count
        return SourceSpan(file: span.file, start: min(start, limit), end: min(max(end, start + (range.isEmpty ? 0 : 1)), limit))
    }

    private func sourceOffset(ofValueOffset target: Int, in scalar: YAMLScalar) -> Int? {
        let raw = span.file.bytes
        let value = Array(scalar.value.utf8)
        guard target >= 0, target <= value.count else { return nil }
        var r = span.start
        let end = min(span.end, raw.count)
        // Folding removes all leading whitespace of a continuation line; a block scalar
        // removes only its own indentation, the rest is content.
        var indentLimit = Int.max
        switch scalar.style {
        case .singleQuoted, .doubleQuoted:
            r += 1
        case .literal, .folded:
            // Skip the block header (`|`, `>-`, `|2` …) and its line break.
            while r < end, raw[r] != UInt8(ascii: "\n"), raw[r] != UInt8(ascii: "\r") { r += 1 }
            while r < end, raw[r] == UInt8(ascii: "\n") || raw[r] == UInt8(ascii: "\r") { r += 1 }
            var indent = 0
            while r + indent < end, raw[r + indent] == UInt8(ascii: " ") { indent += 1 }
            indentLimit = indent
        case .plain:
            break
        }
        var v = 0
        while v < target {
            guard r < end else { return nil }
            let rawByte = raw[r], valueByte = value[v]
            if rawByte == valueByte {
                r += 1
                v += 1
                if valueByte == UInt8(ascii: "\n") { r = skipIndentation(raw, from: r, end: end, limit: indentLimit) }
            } else if (rawByte == UInt8(ascii: "\n") || rawByte == UInt8(ascii: "\r")) && valueByte == UInt8(ascii: " ") {
                // A folded line break.
                r += 1
                if rawByte == UInt8(ascii: "\r"), r < end, raw[r] == UInt8(ascii: "\n") { r += 1 }
                r = skipIndentation(raw, from: r, end: end, limit: indentLimit)
                v += 1
            } else if Self.skippable.contains(rawByte) {
                r += 1
            } else {
                return nil
            }
        }
        return r
    }

    private func skipIndentation(_ raw: [UInt8], from start: Int, end: Int, limit: Int) -> Int {
        var r = start
        while r < end, r - start < limit, raw[r] == UInt8(ascii: " ") || raw[r] == UInt8(ascii: "\t") { r += 1 }
        return r
    }

    private static let skippable: Set<UInt8> = [
        UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
        UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""),
    ]
}

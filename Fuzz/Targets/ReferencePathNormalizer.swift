/// A small, deliberately plain reading of the settled path rules of docs/semantics.md
/// ("2. Path"), written independently of `PathNormalizer` (no fast path, no shared
/// buffer, no bit stack): the request target compares the two on every input.
enum ReferencePathNormalizer {
    /// The normalised path, or the refusal's code (`BadRequest.Code` raw values).
    enum Outcome: Equatable {
        case path(String)
        case refused(String)
    }

    static func normalize(_ target: String) -> Outcome {
        var bytes = Array(target.utf8)
        // 1. Fragment, 2. query.
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes.removeSubrange(hash...) }
        if let question = bytes.firstIndex(of: UInt8(ascii: "?")) { bytes.removeSubrange(question...) }
        // 3. Absolute path.
        guard bytes.first == UInt8(ascii: "/") else { return .refused("target_not_absolute_path") }

        // The segments between slashes, the first after the leading one.
        var rawSegments: [[UInt8]] = [[]]
        for byte in bytes.dropFirst() {
            if byte == UInt8(ascii: "/") { rawSegments.append([]) } else { rawSegments[rawSegments.count - 1].append(byte) }
        }

        var output: [String] = []       // the merged reading: non-empty segments only
        var rfcStack: [Bool] = []       // the RFC 3986 reading's stack: true for an empty segment
        for raw in rawSegments {
            let segment: String
            switch decode(raw) {
            case .refused(let code): return .refused(code)
            case .path(let text): segment = text
            }
            // 5. and 6.: dot segments, with the ambiguity check, and merged slashes.
            if segment.isEmpty {
                rfcStack.append(true)
            } else if segment == "." {
                continue
            } else if segment == ".." {
                if rfcStack.count > 64 || rfcStack.last == true { return .refused("ambiguous_dot_segment") }
                if !rfcStack.isEmpty { rfcStack.removeLast() }
                if !output.isEmpty { output.removeLast() }
            } else {
                // Backend reinterpretation: a trailing dot, or a trailing space after decoding.
                if segment.hasSuffix(".") || segment.hasSuffix("%20") { return .refused("trailing_dot_or_space") }
                rfcStack.append(false)
                output.append(segment)
            }
        }
        // 7. No trailing slash; `/` is the root.
        return .path("/" + output.joined(separator: "/"))
    }

    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// 4. Bytes and escapes of one segment, left to right: the segment as compared.
    static func decode(_ raw: [UInt8]) -> Outcome {
        var text = ""
        var pendingHigh: [UInt8] = []  // escapes above 0x7F not yet checked as UTF-8
        func flushHigh() -> Outcome? {
            if pendingHigh.isEmpty { return nil }
            defer { pendingHigh = [] }
            if let problem = checkUTF8(pendingHigh) { return .refused(problem) }
            return nil
        }
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.count else { return .refused("broken_escape") }
                guard let high = hex(raw[index + 1]), let low = hex(raw[index + 2]) else { return .refused("broken_escape") }
                let value = high << 4 | low
                let spelled = "%" + String(value, radix: 16, uppercase: true).leftPadded
                if value >= 0x80 {
                    pendingHigh.append(value)
                    // Left to right: a byte that no continuation could make valid is refused at once.
                    if let problem = checkPrefix(pendingHigh) { return .refused(problem) }
                    text += spelled
                    index += 3
                    continue
                }
                if let problem = flushHigh() { return problem }
                switch value {
                case UInt8(ascii: "/"): return .refused("encoded_slash")
                case UInt8(ascii: "\\"): return .refused("encoded_backslash")
                case UInt8(ascii: ";"): return .refused("encoded_semicolon")
                case 0..<0x20, 0x7F: return .refused("control_character")
                default: break
                }
                text += unreserved.contains(value) ? String(UnicodeScalar(value)) : spelled
                index += 3
                continue
            }
            if let problem = flushHigh() { return problem }
            switch byte {
            case 0..<0x20, 0x7F: return .refused("control_character")
            case UInt8(ascii: " "): return .refused("space")
            case 0x80...: return .refused("non_ascii")
            case UInt8(ascii: "\\"): return .refused("backslash")
            case UInt8(ascii: ";"): return .refused("semicolon")
            default: text.append(Character(UnicodeScalar(byte)))
            }
            index += 1
        }
        if let problem = flushHigh() { return problem }
        return .path(text)
    }

    /// A run of consecutive escaped bytes above 0x7F must be valid UTF-8 (Swift's own
    /// decoder: no overlong forms, surrogates or values above U+10FFFF, nothing cut short)
    /// and hold no character of the fullwidth and halfwidth forms block (U+FF00–U+FFEF).
    /// A run that is both is refused either way (the byte-at-a-time check may name either).
    static func checkUTF8(_ run: [UInt8]) -> String? {
        var iterator = run.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if (0xFF00...0xFFEF).contains(scalar.value) { return "fullwidth_form" }
            case .emptyInput:
                return nil
            case .error:
                return "invalid_utf8"
            }
        }
    }

    /// Whether `run` can still become acceptable UTF-8: it is, or some continuation bytes
    /// complete it to characters outside the fullwidth forms (a few representative
    /// continuations are tried).
    static func checkPrefix(_ run: [UInt8]) -> String? {
        guard let problem = checkUTF8(run) else { return nil }
        if problem == "fullwidth_form" { return problem }
        // Refused as soon as no completion is acceptable: `EF BC` can only become a
        // fullwidth form, `C0` nothing valid at all.
        var fullwidthOnly = false
        for count in 1...3 {
            for filler: UInt8 in [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xAF, 0xB0, 0xBF] {
                switch checkUTF8(run + [UInt8](repeating: filler, count: count)) {
                case nil: return nil
                case "fullwidth_form": fullwidthOnly = true
                default: break
                }
            }
        }
        return fullwidthOnly ? "fullwidth_form" : "invalid_utf8"
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

private extension String {
    /// Two hex digits.
    var leftPadded: String { count == 1 ? "0" + self : self }
}

/// The reference reading of `target`: its normalised path, or `refused: <code>`.
public func referenceNormalizedPath(_ target: String) -> String {
    switch ReferencePathNormalizer.normalize(target) {
    case .path(let path): return path
    case .refused(let code): return "refused: \(code)"
    }
}

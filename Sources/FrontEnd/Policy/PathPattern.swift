/// A rule's path: exact segments, `*` for exactly one segment, and an optional trailing
/// `/**` for the path itself and everything below it.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        /// A literal segment in normalised form (unreserved escapes decoded, other escapes uppercased).
        case literal(String)
        /// `*`: exactly one non-empty segment.
        case anySegment
    }

    /// nil when the rule has no path: every path matches.
    public var segments: [Segment]?
    /// The pattern ends in `/**`.
    public var matchesSubtree: Bool

    public static let any = PathPattern(segments: nil, matchesSubtree: true)

    public init(segments: [Segment]?, matchesSubtree: Bool) {
        self.segments = segments
        self.matchesSubtree = matchesSubtree
    }

    public var description: String {
        guard let segments else { return "**" }
        var text = ""
        for segment in segments {
            switch segment {
            case .literal(let literal): text += "/" + literal
            case .anySegment: text += "/*"
            }
        }
        if matchesSubtree { text += "/**" }
        return text.isEmpty ? "/" : text
    }

    /// Parses a rule's `path` value. Errors carry the byte range of the offending text.
    public static func parse(_ text: String) -> Result<PathPattern, PatternError> {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "/") else {
            return .failure(PatternError("a path must start with `/`", at: 0..<min(1, bytes.count),
                                         hint: "write `/\(text)`"))
        }
        var segments: [Segment] = []
        var subtree = false
        var start = 1
        while true {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
            let isLast = end >= bytes.count
            if start == end {
                // Only the root `/` and one trailing slash may leave a segment empty.
                if isLast { break }
                return .failure(PatternError("a path must not contain `//`", at: (start - 1)..<(start + 1),
                                             hint: "write a single `/`"))
            }
            let raw = Array(bytes[start..<end])
            if raw == Array("**".utf8) {
                guard isLast || end + 1 == bytes.count else {
                    return .failure(PatternError("`**` is allowed only as the last segment", at: start..<end,
                                                 hint: "use `*` for exactly one segment"))
                }
                subtree = true
                break
            }
            if raw == Array("*".utf8) {
                segments.append(.anySegment)
            } else {
                switch normalizeSegment(raw, offset: start) {
                case .success(let literal): segments.append(.literal(literal))
                case .failure(let error): return .failure(error)
                }
            }
            if isLast { break }
            start = end + 1
        }
        return .success(PathPattern(segments: segments, matchesSubtree: subtree))
    }

    /// Normalises one literal segment exactly as the runtime normalises request paths.
    /// `.*`, `.+`, `^`, `$`, `\\`, `[`, `(`, `|` in a segment: written as a regular expression.
    static func looksLikeRegularExpression(_ segment: [UInt8]) -> Bool {
        let text = String(decoding: segment, as: UTF8.self)
        return text.contains(".*") || text.contains(".+") || text.contains(where: { "^$\\[(|+".contains($0) })
    }

    static func normalizeSegment(_ raw: [UInt8], offset: Int) -> Result<String, PatternError> {
        var out: [UInt8] = []
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            let at = (offset + index)..<(offset + index + 1)
            switch byte {
            case UInt8(ascii: "*"):
                if Self.looksLikeRegularExpression(raw) {
                    return .failure(PatternError("`*` must be a whole segment", at: at,
                                                 hint: "paths are not regular expressions: `**` matches every path below, as in `/users/**`, and `*` one whole segment"))
                }
                return .failure(PatternError("`*` must be a whole segment", at: at,
                                             hint: "`*` stands for exactly one whole segment, as in `/users/*/profile`"))
            case UInt8(ascii: "?"), UInt8(ascii: "#"):
                return .failure(PatternError("a path must not contain `\(Character(Unicode.Scalar(byte)))`", at: at,
                                             hint: "rules match the path only; queries and fragments are ignored"))
            case UInt8(ascii: ";"):
                return .failure(PatternError("a path must not contain `;`", at: at,
                                             hint: "matrix parameters are refused by the runtime, so this rule could never match"))
            case UInt8(ascii: "\\"):
                return .failure(PatternError("a path must not contain `\\`", at: at))
            case 0..<0x20, 0x7F:
                return .failure(PatternError("a path must not contain control characters", at: at))
            case 0x80...:
                var characterEnd = index + 1
                while characterEnd < raw.count, raw[characterEnd] & 0xC0 == 0x80 { characterEnd += 1 }
                return .failure(PatternError("a path must be ASCII", at: (offset + index)..<(offset + characterEnd),
                                             hint: "percent-encode the character's UTF-8 bytes, such as `%C3%A9` for `é`"))
            case UInt8(ascii: "%"):
                guard index + 2 < raw.count, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2]) else {
                    return .failure(PatternError("a broken percent-escape", at: (offset + index)..<(offset + min(index + 3, raw.count)),
                                                 hint: "`%` must be followed by two hex digits"))
                }
                let decoded = high << 4 | low
                let escape = (offset + index)..<(offset + index + 3)
                if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") || decoded == UInt8(ascii: ";") {
                    return .failure(PatternError("a path must not contain an encoded `\(Character(Unicode.Scalar(decoded)))`", at: escape,
                                                 hint: "the runtime refuses such requests with 400, so this rule could never match"))
                }
                if decoded < 0x20 || decoded == 0x7F {
                    return .failure(PatternError("a path must not contain an encoded control character", at: escape))
                }
                if isUnreserved(decoded) {
                    out.append(decoded)
                } else {
                    out.append(UInt8(ascii: "%"))
                    out.append(hexDigit(decoded >> 4))
                    out.append(hexDigit(decoded & 0xF))
                }
                index += 3
                continue
            default:
                out.append(byte)
            }
            index += 1
        }
        if out == [UInt8(ascii: ".")] || out == [UInt8(ascii: "."), UInt8(ascii: ".")] {
            return .failure(PatternError("a path must not contain `.` or `..` segments", at: offset..<(offset + raw.count),
                                         hint: "write the path the segments lead to"))
        }
        if out.last == UInt8(ascii: ".") || out.suffix(3) == [UInt8(ascii: "%"), UInt8(ascii: "2"), UInt8(ascii: "0")] {
            return .failure(PatternError("a path segment must not end in a dot or a space", at: offset..<(offset + raw.count),
                                         hint: "the runtime refuses such requests with 400 (Windows backends drop the dot or space), so this rule could never match"))
        }
        if Self.containsFullwidthForm(out) {
            return .failure(PatternError("a path must not contain fullwidth or halfwidth forms (U+FF00–U+FFEF)", at: offset..<(offset + raw.count),
                                         hint: "the runtime refuses such requests with 400, so this rule could never match"))
        }
        return .success(String(decoding: out, as: UTF8.self))
    }

    /// `%EF%BC%80` to `%EF%BF%AF` (uppercase hex, as normalised) in a segment.
    static func containsFullwidthForm(_ segment: [UInt8]) -> Bool {
        let text = String(decoding: segment, as: UTF8.self)
        var rest = Substring(text)
        while let range = rest.range(of: "%EF%") {
            let tail = rest[range.upperBound...]
            let second = tail.prefix(2), third = tail.dropFirst(3).prefix(2)
            if ["BC", "BD", "BE"].contains(second) { return true }
            if second == "BF", tail.dropFirst(2).first == "%", let value = UInt8(third, radix: 16), value <= 0xAF { return true }
            rest = tail
        }
        return false
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }

    /// RFC 3986 unreserved: ALPHA / DIGIT / `-` / `.` / `_` / `~`.
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

/// The path of a request-target in the one form rules are matched against.
///
/// Made without copying in the common case: when the path needed no change, it is the
/// request-target's first bytes, and the query is a byte range of the target; `path` and
/// `rawQuery` are built only when asked for.
public struct NormalizedPath: Sendable, Hashable {
    /// The path is `text`'s first `length` UTF-8 bytes.
    let text: String
    let length: Int
    /// The request-target and the bytes of its query (after the first `?`, before any `#`).
    let target: String
    let query: Range<Int>?

    init(text: String, length: Int, target: String, query: Range<Int>?) {
        self.text = text
        self.length = length
        self.target = target
        self.query = query
    }

    /// Starts with `/`; no empty, `.` or `..` segments and no trailing slash (except `/`).
    public var path: String { length == text.utf8.count ? text : String(segments.path) }
    /// The segments of `path`, as slices of it. `/` has none.
    public var segments: PathSegments { PathSegments(text: text, length: length) }
    /// What follows the first `?` up to the fragment, as a slice of the target.
    public var rawQuery: Substring? {
        guard let query else { return nil }
        let utf8 = target.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: query.lowerBound)
        return Substring(utf8[start..<utf8.index(start, offsetBy: query.count)])
    }

    public static func == (lhs: NormalizedPath, rhs: NormalizedPath) -> Bool {
        lhs.segments == rhs.segments && lhs.rawQuery == rhs.rawQuery
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(segments)
        hasher.combine(rawQuery)
    }
}

/// Normalises the path of a request-target, refusing every input that backends might
/// read differently (Envoy CVE-2019-9901 and CVE-2021-29492, Istio CVE-2021-31920 and
/// CVE-2021-39156).
///
/// In order: drop the fragment (from the first `#`), split off the query (from the first
/// `?`), require a leading `/`, decode percent-escapes of unreserved characters once and
/// uppercase the others, refuse what is ambiguous, then merge repeated slashes and
/// remove dot segments (RFC 3986 §5.2.4), dropping any trailing slash. See
/// `docs/semantics.md`.
public enum PathNormalizer {
    public static func normalize(target: String) -> Result<NormalizedPath, BadRequest> {
        switch outcome(target: target) {
        case .path(let value): .success(value)
        case .refused(let problem): .failure(problem)
        }
    }

    /// A concrete enum, not `Result` (see `RequestNormalizer.Outcome`).
    enum Outcome {
        case path(NormalizedPath)
        case refused(BadRequest)
    }

    static func outcome(target: String) -> Outcome {
        ASCII.withBytes(target) { bytes in outcome(bytes, target: target) }
    }

    static func outcome(_ b: UnsafeBufferPointer<UInt8>, target: String) -> Outcome {
        guard b.count > 0, b[0] == ASCII.slash else {
            return .refused(BadRequest(.targetNotAbsolutePath, in: target, at: 0))
        }
        // One pass finds where the path ends (the first `?` or `#`) and whether it is
        // already normal: only plain visible ASCII, no `%`, `\` or `;`, no empty, `.` or
        // `..` segment, no segment ending in `.` and no trailing slash. Most requests take
        // this way, and the normalised path is the target's first bytes. Every segment
        // rule is one fact about the byte before a `/` or the end: it is neither `/`
        // (an empty segment) nor `.` (`.`, `..` or a trailing dot).
        let (pathEnd, normal) = scan(b)
        var query: Range<Int>?
        if pathEnd < b.count && b[pathEnd] == ASCII.question {
            let queryEnd = b[(pathEnd + 1)...].firstIndex(of: ASCII.hash) ?? b.count
            query = (pathEnd + 1)..<queryEnd
        }
        if normal {
            return .path(NormalizedPath(text: target, length: pathEnd, target: target, query: query))
        }
        var failure: BadRequest?
        let path = String(unsafeUninitializedCapacity: pathEnd) { out in
            switch rewrite(UnsafeBufferPointer(rebasing: b[..<pathEnd]), into: out) {
            case .success(let count):
                return count
            case .failure(let problem):
                failure = BadRequest(problem.code, in: target, at: problem.offset)
                return 0
            }
        }
        if let failure { return .refused(failure) }
        return .path(NormalizedPath(text: path, length: path.utf8.count, target: target, query: query))
    }

    /// Where the path of `b` (which starts with `/`) ends, and whether it is already normal.
    @inline(__always)
    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> (end: Int, normal: Bool) {
        let count = b.count
        var normal = true
        var i = 1
        while i < count {
            let byte = b[i]
            if isOrdinary(byte) { i &+= 1; continue }
            if byte == ASCII.slash {
                let before = b[i &- 1]
                if before == ASCII.slash || before == ASCII.dot { normal = false }
            } else if byte == ASCII.question || byte == ASCII.hash {
                break
            } else if byte != ASCII.dot {
                normal = false  // a control or non-ASCII byte, a space, `%`, `;` or `\`
            }
            i &+= 1
        }
        if i > 1, b[i &- 1] == ASCII.slash || b[i &- 1] == ASCII.dot { normal = false }
        return (i, normal)
    }

    /// Visible ASCII other than `#`, `%`, `.`, `/`, `;`, `?` and `\`: a byte the scan of an
    /// already normal path passes without a second look.
    @inline(__always)
    static func isOrdinary(_ byte: UInt8) -> Bool {
        ASCII.isMember(byte, low: 0x77FF_3FD6_0000_0000, high: 0x7FFF_FFFF_EFFF_FFFF)
    }

    struct Problem: Error {
        var code: BadRequest.Code
        var offset: Int
    }

    /// Writes the normalised form of the path `p` (which starts with `/`) into `out`,
    /// which has room for `p.count` bytes: the result is never longer than the input.
    /// Returns the number of bytes written. The output is always ASCII.
    static func rewrite(_ p: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Result<Int, Problem> {
        let end = p.count
        var w = 0
        var i = 1
        // The segments an RFC 3986 reading (no merging of slashes) would have on its stack,
        // one bit each, 1 for an empty segment: a `..` that would remove an empty segment
        // there is read differently by a normaliser that merges slashes first, so it is
        // ambiguous. Past 64 levels the bits are lost and any `..` is refused.
        var emptyStack: UInt64 = 0
        var depth = 0
        var utf8 = UTF8Check()
        var fullwidth = FullwidthCheck()

        while true {
            let rawSegmentStart = i
            let segmentStart = w
            out[w] = ASCII.slash
            w += 1
            while i < end {
                let byte = p[i]
                if byte == ASCII.slash { break }
                if byte == ASCII.percent {
                    guard i + 2 < end, let high = ASCII.hexValue(p[i + 1]), let low = ASCII.hexValue(p[i + 2]) else {
                        return .failure(Problem(code: .brokenEscape, offset: i))
                    }
                    let value = high << 4 | low
                    if value >= 0x80 || utf8.isInSequence {
                        let lead = !utf8.isInSequence
                        guard utf8.accept(value) else { return .failure(Problem(code: .invalidUTF8, offset: i)) }
                        guard fullwidth.accept(value, lead: lead) else { return .failure(Problem(code: .fullwidthForm, offset: i)) }
                    } else if let code = refusedEscape(value) {
                        return .failure(Problem(code: code, offset: i))
                    } else if ASCII.isUnreserved(value) {
                        out[w] = value
                        w += 1
                        i += 3
                        continue
                    }
                    out[w] = ASCII.percent
                    out[w + 1] = ASCII.uppercaseHexDigit(p[i + 1])
                    out[w + 2] = ASCII.uppercaseHexDigit(p[i + 2])
                    w += 3
                    i += 3
                    continue
                }
                if utf8.isInSequence { return .failure(Problem(code: .invalidUTF8, offset: i)) }
                if let code = refusedRawByte(byte) { return .failure(Problem(code: code, offset: i)) }
                out[w] = byte
                w += 1
                i += 1
            }
            if utf8.isInSequence { return .failure(Problem(code: .invalidUTF8, offset: i)) }

            let length = w - segmentStart - 1
            if length == 0 {
                w = segmentStart
                emptyStack = emptyStack << 1 | 1
                depth += 1
            } else if length == 1 && out[segmentStart + 1] == ASCII.dot {
                w = segmentStart
            } else if length == 2 && out[segmentStart + 1] == ASCII.dot && out[segmentStart + 2] == ASCII.dot {
                if depth > 64 || (depth > 0 && emptyStack & 1 == 1) {
                    return .failure(Problem(code: .ambiguousDotSegment, offset: rawSegmentStart))
                }
                if depth > 0 {
                    emptyStack >>= 1
                    depth -= 1
                }
                w = segmentStart
                while w > 0 {
                    w -= 1
                    if out[w] == ASCII.slash { break }
                }
            } else {
                // `/admin.`, `/admin..`, `/admin%20`: Windows and IIS drop trailing dots and
                // spaces, so the backend would read `/admin`.
                let last = out[w - 1]
                let endsInSpace = length >= 3 && out[w - 3] == ASCII.percent && out[w - 2] == UInt8(ascii: "2") && last == UInt8(ascii: "0")
                if last == ASCII.dot || endsInSpace {
                    return .failure(Problem(code: .trailingDotOrSpace, offset: rawSegmentStart))
                }
                emptyStack <<= 1
                depth += 1
            }
            if i >= end { break }
            i += 1
        }
        if w == 0 {
            out[0] = ASCII.slash
            w = 1
        }
        return .success(w)
    }

    /// Escapes that are refused rather than decoded or kept.
    @inline(__always)
    static func refusedEscape(_ value: UInt8) -> BadRequest.Code? {
        switch value {
        case ASCII.slash: return .encodedSlash
        case ASCII.backslash: return .encodedBackslash
        case ASCII.semicolon: return .encodedSemicolon
        case 0x00..<0x20, 0x7F: return .controlCharacter
        default: return nil
        }
    }

    /// Raw bytes that are refused in a path.
    @inline(__always)
    static func refusedRawByte(_ byte: UInt8) -> BadRequest.Code? {
        switch byte {
        case 0x00..<0x20, 0x7F: return .controlCharacter
        case ASCII.space: return .space
        case 0x80...: return .nonASCII
        case ASCII.backslash: return .backslash
        case ASCII.semicolon: return .semicolon
        default: return nil
        }
    }
}

/// Checks that the bytes of percent-escapes at or above 0x80 form valid UTF-8 (no
/// overlong forms, no surrogates, nothing above U+10FFFF), one byte at a time.
struct UTF8Check {
    private var pending = 0
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    /// In the middle of a multi-byte sequence: only a continuation escape may follow.
    var isInSequence: Bool { pending > 0 }

    mutating func accept(_ byte: UInt8) -> Bool {
        if pending > 0 {
            guard byte >= low && byte <= high else { return false }
            pending -= 1
            low = 0x80
            high = 0xBF
            return true
        }
        switch byte {
        case 0xC2...0xDF: pending = 1
        case 0xE0: pending = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: pending = 2
        case 0xED: pending = 2; high = 0x9F
        case 0xF0: pending = 3; low = 0x90
        case 0xF1...0xF3: pending = 3
        case 0xF4: pending = 3; high = 0x8F
        default: return false
        }
        return true
    }
}

/// Finds characters of the Unicode fullwidth and halfwidth forms block (U+FF00–U+FFEF,
/// UTF-8 `EF BC 80` to `EF BF AF`) among decoded percent-escapes, one byte at a time.
struct FullwidthCheck {
    /// 0: outside; 1: after `EF`; 2: after `EF BF`.
    private var stage = 0

    /// False when `byte` completes (or, for `EF BC`–`EF BE`, already decides) such a character.
    mutating func accept(_ byte: UInt8, lead: Bool) -> Bool {
        if lead {
            stage = byte == 0xEF ? 1 : 0
            return true
        }
        switch stage {
        case 1:
            if (0xBC...0xBE).contains(byte) { return false }
            stage = byte == 0xBF ? 2 : 0
        case 2:
            stage = 0
            if byte <= 0xAF { return false }
        default:
            break
        }
        return true
    }
}

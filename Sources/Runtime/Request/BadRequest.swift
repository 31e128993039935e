/// Why a request was refused with 400 `bad_request` before any rule was looked at.
///
/// Compares by `code` only. The human `message` is built on demand, so refusing a
/// request never formats a string on the hot path.
public struct BadRequest: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier, independent of the wording of `message`.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The host is not a name, an IPv4 address or a bracketed IPv6 literal, or its port is bad.
        case invalidHost = "invalid_host"
        /// More than one `Host` header.
        case twoHostHeaders = "two_host_headers"
        /// The request-target does not start with `/`.
        case targetNotAbsolutePath = "target_not_absolute_path"
        /// `%2F` in the path.
        case encodedSlash = "encoded_slash"
        /// `%5C` in the path.
        case encodedBackslash = "encoded_backslash"
        /// `%3B` in the path.
        case encodedSemicolon = "encoded_semicolon"
        /// A raw or percent-encoded control character (`%00`–`%1F`, `%7F`) in the path.
        case controlCharacter = "control_character"
        /// A raw space in the path.
        case space = "space"
        /// A raw byte above 0x7F in the path.
        case nonASCII = "non_ascii"
        /// A raw `\` in the path.
        case backslash = "backslash"
        /// A raw `;` (matrix parameters) in the path.
        case semicolon = "semicolon"
        /// A `%` not followed by two hex digits.
        case brokenEscape = "broken_escape"
        /// Percent-escapes that do not decode to valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// A `..` segment right after an empty segment (`/a//../b`): normalisers disagree on it.
        case ambiguousDotSegment = "ambiguous_dot_segment"
        /// A segment that ends in `.` (other than `.` and `..`) or in a space after decoding:
        /// Windows and IIS drop them, so `/admin.` and `/admin%20` reach `/admin`.
        case trailingDotOrSpace = "trailing_dot_or_space"
        /// A decoded character of the Unicode fullwidth and halfwidth forms (U+FF00–U+FFEF):
        /// compatibility normalisation (NFKC, "best fit") turns `/%EF%BC%A1dmin` into `/Admin`.
        case fullwidthForm = "fullwidth_form"
        /// A method that is not an RFC 9110 token (empty, or with a space or control character):
        /// rules with `methods` could not classify it.
        case invalidMethod = "invalid_method"
    }

    public let code: Code
    /// The text the problem was found in: the host or the request-target.
    public let input: String
    /// The byte offset of the problem in `input`.
    public let offset: Int
    let reason: StaticString?

    init(_ code: Code, in input: String, at offset: Int, reason: StaticString? = nil) {
        self.code = code
        self.input = input
        self.offset = offset
        self.reason = reason
    }

    public static func == (lhs: BadRequest, rhs: BadRequest) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Lowercase, no trailing period, the offending input in backticks.
    public var message: String {
        let what: String
        switch code {
        case .invalidHost: what = "invalid host `\(Self.printable(input))`"
        case .twoHostHeaders: return "more than one `Host` header"
        case .invalidMethod: return "the method `\(Self.printable(input))` is not an HTTP token"
        case .targetNotAbsolutePath: return "the request-target `\(Self.printable(input))` does not start with `/`"
        case .encodedSlash: what = "encoded slash `%2F` in the path"
        case .encodedBackslash: what = "encoded backslash `%5C` in the path"
        case .encodedSemicolon: what = "encoded semicolon `%3B` in the path"
        case .controlCharacter: what = "control character in the path"
        case .space: what = "space in the path"
        case .nonASCII: what = "non-ASCII byte in the path"
        case .backslash: what = "backslash in the path"
        case .semicolon: what = "semicolon (matrix parameter) in the path"
        case .brokenEscape: what = "broken percent-escape in the path"
        case .invalidUTF8: what = "percent-escapes in the path are not valid UTF-8"
        case .ambiguousDotSegment: what = "`..` right after an empty segment in the path"
        case .trailingDotOrSpace: what = "a path segment ends in a dot or a space, which some backends drop"
        case .fullwidthForm: what = "a fullwidth or halfwidth form (U+FF00–U+FFEF) in the path, which some backends map to ASCII"
        }
        var text = what
        if code != .invalidHost {
            text += " at byte \(offset) of `\(Self.printable(input))`"
        }
        if let reason { text += ": \(reason)" }
        return text
    }

    public var description: String { "bad_request (\(code.rawValue)): \(message)" }

    /// `input` with control and non-ASCII bytes shown as `%XX`, so messages stay one clean line.
    static func printable(_ input: String) -> String {
        var out = ""
        for byte in input.utf8 {
            if byte < 0x20 || byte >= 0x7F {
                let digits: [Character] = Array("0123456789ABCDEF")
                out.append("%")
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }
}

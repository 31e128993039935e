/// A rule's domain: any host, one exact host, or every host below a suffix.
public enum DomainPattern: Sendable, Hashable, CustomStringConvertible {
    /// `*` or no domain: every host, and requests without a host.
    case any
    /// An exact host name, lowercased (`api.example.com`).
    case exact(String)
    /// `*.example.com`: one or more whole labels below `example.com`, never the suffix itself.
    case wildcard(suffix: String)

    public var description: String {
        switch self {
        case .any: "*"
        case .exact(let host): host
        case .wildcard(let suffix): "*.\(suffix)"
        }
    }

    /// Parses a rule's `domain` value. Errors carry the byte range of the offending text.
    public static func parse(_ text: String) -> Result<DomainPattern, PatternError> {
        let bytes = Array(text.utf8)
        if text == "*" { return .success(.any) }
        if bytes.isEmpty {
            return .failure(PatternError("the domain is empty", at: 0..<0, hint: "omit `domain` or write `*` to match any host"))
        }
        if let start = Self.schemeSeparator(in: bytes) {
            return .failure(PatternError("a domain must not contain a scheme", at: 0..<(start + 3),
                                         hint: "write the host name alone, such as `api.example.com`"))
        }
        var isWildcard = false
        var body = bytes[...]
        if bytes.starts(with: Array("*.".utf8)) {
            isWildcard = true
            body = bytes[2...]
        }
        var labelStart = body.startIndex
        var index = body.startIndex
        while index <= body.endIndex {
            let atEnd = index == body.endIndex
            let byte: UInt8 = atEnd ? UInt8(ascii: ".") : body[index]
            if byte == UInt8(ascii: ".") {
                if index == labelStart {
                    let dot = atEnd ? (index - 1)..<index : index..<(index + 1)
                    return .failure(PatternError("the domain has an empty label", at: dot,
                                                 hint: "remove the extra `.`"))
                }
                if index - labelStart > 63 {
                    return .failure(PatternError("a domain label is longer than 63 characters", at: labelStart..<index))
                }
                labelStart = index + 1
            } else if byte == UInt8(ascii: ":") {
                return .failure(PatternError("a domain must not contain a port", at: index..<bytes.count,
                                             hint: "rules match the host on any port; remove `\(String(decoding: bytes[index...], as: UTF8.self))`"))
            } else if byte == UInt8(ascii: "/") {
                return .failure(PatternError("a domain must not contain a path", at: index..<bytes.count,
                                             hint: "put the path in the rule's `path` key"))
            } else if byte == UInt8(ascii: "*") {
                return .failure(PatternError("`*` is allowed only as a whole first label (`*.example.com`) or alone",
                                             at: index..<(index + 1)))
            } else if byte >= 0x80 {
                var end = index + 1
                while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                return .failure(PatternError("a domain must be ASCII", at: index..<end,
                                             hint: "write internationalised names in punycode (`xn--…`)"))
            } else if !isHostCharacter(byte) {
                return .failure(PatternError("`\(Character(Unicode.Scalar(byte)))` is not allowed in a domain", at: index..<(index + 1),
                                             hint: "a domain has letters, digits, `-`, `_` and `.` only"))
            }
            index += 1
        }
        if bytes.count > 253 {
            return .failure(PatternError("the domain is longer than 253 characters", at: 0..<bytes.count))
        }
        let lowered = String(decoding: body, as: UTF8.self).lowercased()
        return .success(isWildcard ? .wildcard(suffix: lowered) : .exact(lowered))
    }

    /// The offset of the first `://`, if any.
    static func schemeSeparator(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 3 else { return nil }
        for index in 0...(bytes.count - 3)
        where bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: "/") && bytes[index + 2] == UInt8(ascii: "/") {
            return index
        }
        return nil
    }

    static func isHostCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}

/// A problem in a rule pattern, with the byte range of the value it concerns.
public struct PatternError: Error, Sendable, Hashable {
    public var message: String
    public var range: Range<Int>
    public var hint: String?

    public init(_ message: String, at range: Range<Int>, hint: String? = nil) {
        self.message = message
        self.range = range
        self.hint = hint
    }
}

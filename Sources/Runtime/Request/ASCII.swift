import JOSE

/// Byte-level helpers shared by the request code. Everything works on UTF-8 code units;
/// nothing here allocates.
enum ASCII {
    static let slash: UInt8 = 0x2F
    static let backslash: UInt8 = 0x5C
    static let percent: UInt8 = 0x25
    static let question: UInt8 = 0x3F
    static let hash: UInt8 = 0x23
    static let semicolon: UInt8 = 0x3B
    static let colon: UInt8 = 0x3A
    static let dot: UInt8 = 0x2E
    static let at: UInt8 = 0x40
    static let equals: UInt8 = 0x3D
    static let ampersand: UInt8 = 0x26
    static let quote: UInt8 = 0x22
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let hyphen: UInt8 = 0x2D
    static let underscore: UInt8 = 0x5F
    static let tilde: UInt8 = 0x7E

    /// Whether `byte` is in a set of ASCII bytes given as two bit masks (bit `b` of `low`
    /// for byte `b` below 64, bit `b - 64` of `high` for the rest below 128): one shift and
    /// no branch per class, for the scans every request goes through.
    @inline(__always)
    static func isMember(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        // Masking shifts (`&>>`): the amount is below 64 by construction, so no range check.
        let word = byte & 64 == 0 ? low : high
        return byte < 128 && (word &>> UInt64(byte & 63)) & 1 == 1
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    @inline(__always)
    static func isUppercase(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }

    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// RFC 3986 `unreserved`: ALPHA DIGIT `-` `.` `_` `~`.
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == hyphen || byte == dot || byte == underscore || byte == tilde
    }

    /// Optional whitespace (RFC 9110 OWS): space and horizontal tab.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// The value of a hex digit, or `nil`.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if isDigit(byte) { return byte &- 0x30 }
        let lower = byte | 0x20
        if lower &- 0x61 < 6 { return lower &- 0x61 &+ 10 }
        return nil
    }

    @inline(__always)
    static func uppercaseHexDigit(_ byte: UInt8) -> UInt8 {
        byte &- 0x61 < 6 ? byte &- 0x20 : byte
    }

    /// ASCII case-insensitive equality of two byte sequences.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        // The lengths first: most header names differ there, and `utf8.count` is stored.
        guard a.utf8.count == b.utf8.count else { return false }
        return withBytes(a) { x in
            withBytes(b) { y in
                for i in 0..<x.count where lowercased(x[i]) != lowercased(y[i]) { return false }
                return true
            }
        }
    }

    /// Header-name equality as CGI-style backends see it (CGI, WSGI, PHP, nginx variables):
    /// ASCII case-insensitive, with every punctuation character of a field name
    /// (``!#$%&'*+-.^_`|~``) the same, since they all become `_` there: `X_User_Id`,
    /// `x.user.id` and `x-user-id` are one header. `canonical` must be lowercase.
    static func equalsHeaderName(_ name: String, canonical: String) -> Bool {
        guard name.utf8.count == canonical.utf8.count else { return false }
        return withBytes(name) { x in
            withBytes(canonical) { y in
                for i in 0..<x.count where headerNameFold(x[i]) != headerNameFold(y[i]) { return false }
                return true
            }
        }
    }

    /// A field-name byte as a CGI-style backend reads it: letters lowercased, digits
    /// kept, every other byte `-`.
    @inline(__always)
    static func headerNameFold(_ byte: UInt8) -> UInt8 {
        isLetter(byte) ? byte | 0x20 : isDigit(byte) ? byte : hyphen
    }

    /// The UTF-8 buffer of `text`, made contiguous if needed (bridged strings only).
    @inline(__always)
    static func withBytes<R>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try UTF8Bytes.withBytes(text, body)
    }

    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return try copy.withUTF8(body)
    }
}

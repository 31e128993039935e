/// String literals: UTF-8 validation, escapes and the line-wrapping diagnosis.
extension JSONParser {
    /// Parses a string starting at the opening quote; leaves `position` after the closing one.
    mutating func parseString() throws(JSONParseError) -> String {
        try parseString(keyed: false)
    }

    /// Validates a string as ``parseString()`` does, without making it.
    mutating func skipString() throws(JSONParseError) {
        _ = try parseString(keyed: false, producing: false)
    }

    /// Parses a member name, and makes its lookup key (``JSONMember/nameKey(bytes:)``)
    /// from the bytes just read into `nameKey`.
    mutating func parseMemberName() throws(JSONParseError) -> String {
        try parseString(keyed: true)
    }

    /// ``parseMemberName()``, except that a name written without escapes in ASCII only is
    /// left unbuilt: `""`, its text being the bytes of its span between the quotes (see
    /// ``JSONParser/nameText(_:span:)``). Any other name is built, so a built name is never
    /// empty and `""` always means "read the span".
    mutating func parseMemberNameLeavingPlainASCII() throws(JSONParseError) -> String {
        try parseString(keyed: true, producing: true, buildingPlainASCII: false)
    }

    @inline(__always)
    private mutating func parseString(keyed: Bool, producing: Bool = true, buildingPlainASCII: Bool = true) throws(JSONParseError) -> String {
        position += 1
        let contentStart = position
        // Fast path: no escapes, so the text is a slice of the input.
        while position < bytes.count {
            skipPlainASCII()
            guard position < bytes.count else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<position])
                position += 1
                if keyed { nameKey = JSONMember.nameKey(bytes: content) }
                guard producing, buildingPlainASCII || nameKey & JSONMember.nonASCIIBit != 0 else { return "" }
                return WellKnownStrings.match(content) ?? String(decoding: content, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            try checkStringByte(byte)
        }
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        // Slow path: copy into scratch while decoding escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                if keyed { nameKey = scratch.withUnsafeBufferPointer { JSONMember.nameKey(bytes: $0) } }
                return producing ? String(decoding: scratch, as: UTF8.self) : ""
            }
            if byte == UInt8(ascii: "\\") {
                try parseEscape()
                continue
            }
            let before = position
            try checkStringByte(byte)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[before..<position]))
        }
        throw fail(.unexpectedEnd)
    }

    /// Skips printable ASCII other than `"` and `\\`, the bulk of every string.
    @inline(__always)
    mutating func skipPlainASCII() {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        var index = position
        // Eight bytes at a time while none is a quote, a backslash, a control character or
        // not ASCII (the word tests are exact, so a word that fails is read byte by byte).
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= end {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
            let special = (word | ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
            if special != 0 { break }
            index += 8
        }
        while index < end {
            let byte = base[index]
            // 0x20...0x7F, except the quote and the backslash.
            guard byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
            index += 1
        }
        position = index
    }

    /// Validates one unescaped character (advancing past it, all its UTF-8 bytes included).
    mutating func checkStringByte(_ byte: UInt8) throws(JSONParseError) {
        if byte < 0x20 {
            throw fail(byte == 0x0A || byte == 0x0D ? .lineBreakInString : .controlCharacterInString)
        }
        if byte < 0x80 {
            position += 1
            return
        }
        try skipUTF8Sequence(lead: byte)
    }

    /// Validates a multi-byte UTF-8 sequence: no overlongs, no surrogates, nothing above U+10FFFF.
    mutating func skipUTF8Sequence(lead: UInt8) throws(JSONParseError) {
        let start = position
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw fail(.invalidUTF8, at: start)
        }
        guard start + length <= bytes.count else { throw fail(.invalidUTF8, at: start) }
        let second = bytes[start + 1]
        guard second >= lower, second <= upper else { throw fail(.invalidUTF8, at: start) }
        for index in 2..<max(length, 2) where bytes[start + index] & 0xC0 != 0x80 {
            throw fail(.invalidUTF8, at: start)
        }
        position = start + length
    }

    /// Decodes one escape sequence into `scratch`.
    mutating func parseEscape() throws(JSONParseError) {
        let start = position
        position += 1
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(at: start)
            if scalar >= 0xD800, scalar <= 0xDBFF {
                guard position + 1 < bytes.count,
                      bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                else { throw fail(.loneSurrogate, at: start) }
                position += 2
                let low = try parseHex4(at: start)
                guard low >= 0xDC00, low <= 0xDFFF else { throw fail(.loneSurrogate, at: start) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw fail(.loneSurrogate, at: start)
            }
            appendUTF8(scalar)
        default:
            throw fail(.invalidEscape, at: start)
        }
    }

    mutating func parseHex4(at escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail(.invalidEscape, at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail(.invalidEscape, at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

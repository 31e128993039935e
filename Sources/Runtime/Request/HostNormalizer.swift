/// Classifies and canonicalises a host (`Host` header or `:authority`).
///
/// Valid hosts are a name of letters, digits, `-` and `_` labels separated by dots (no
/// empty label, at most one trailing dot), a dotted-quad IPv4 address, or a bracketed
/// IPv6 literal, each with an optional port of 1–5 digits not above 65535. Names are
/// lowercased (CVE-2021-39155: `Admin.Example.com` must meet the rules of
/// `admin.example.com`); the port and one trailing dot are dropped. Anything else is a
/// `BadRequest` — never a guess.
public enum HostNormalizer {
    public static func normalize(_ host: String) -> Result<NormalizedHost, BadRequest> {
        switch outcome(host) {
        case .host(let value): .success(value)
        case .refused(let problem): .failure(problem)
        }
    }

    /// A concrete enum, not `Result` (see `RequestNormalizer.Outcome`).
    enum Outcome {
        case host(NormalizedHost)
        case refused(BadRequest)
    }

    static func outcome(_ host: String) -> Outcome {
        if host.isEmpty { return .host(.missing) }
        return ASCII.withBytes(host) { bytes in outcome(bytes, original: host) }
    }

    static func outcome(_ b: UnsafeBufferPointer<UInt8>, original: String) -> Outcome {
        func invalid(_ offset: Int, _ reason: StaticString) -> Outcome {
            .refused(BadRequest(.invalidHost, in: original, at: offset, reason: reason))
        }
        // The common cases in one pass: a name already in canonical form, alone or with a
        // port (`api.example.com:443`). Anything else takes the full way below, which
        // finds the problem (or the canonical form).
        let nameEnd = canonicalNameEnd(b)
        if nameEnd > 0, nameEnd == b.count { return .host(.name(HostLabels(name: original))) }
        if nameEnd > 0, nameEnd < b.count, b[nameEnd] == ASCII.colon, checkPort(b, from: nameEnd + 1) == nil {
            // The name is the host text up to the port: viewed in place, not copied.
            return .host(.name(HostLabels(base: original, length: nameEnd)))
        }
        let n = b.count
        if let at = b.firstIndex(of: ASCII.at) { return invalid(at, "userinfo is not allowed in a host") }

        if b[0] == ASCII.openBracket {
            guard let close = b.firstIndex(of: ASCII.closeBracket) else {
                return invalid(0, "an IPv6 literal needs a closing `]`")
            }
            if close + 1 < n {
                guard b[close + 1] == ASCII.colon else { return invalid(close + 1, "only a port may follow an IPv6 literal") }
                if let problem = checkPort(b, from: close + 2) { return invalid(close + 2, problem) }
            }
            guard let groups = parseIPv6(UnsafeBufferPointer(rebasing: b[1..<close])) else {
                return invalid(1, "not a valid IPv6 address")
            }
            return .host(.ipv6(formatIPv6(groups)))
        }

        // A name or an IPv4 address, maybe with a port.
        var end = n
        if let colon = b.firstIndex(of: ASCII.colon) {
            if b[(colon + 1)...].contains(ASCII.colon) {
                return invalid(colon, "an IPv6 address must be in brackets")
            }
            if let problem = checkPort(b, from: colon + 1) { return invalid(colon + 1, problem) }
            end = colon
        }
        if end > 0 && b[end - 1] == ASCII.dot { end -= 1 }
        if end == 0 { return invalid(0, "the host name is empty") }

        var hasUppercase = false
        var labelStart = 0
        for i in 0..<end {
            let byte = b[i]
            if byte == ASCII.dot {
                if i == labelStart { return invalid(i, "a host name has no empty labels") }
                labelStart = i + 1
            } else if ASCII.isLetter(byte) {
                if ASCII.isUppercase(byte) { hasUppercase = true }
            } else if !(ASCII.isDigit(byte) || byte == ASCII.hyphen || byte == ASCII.underscore) {
                return invalid(i, "a host name has only letters, digits, `-`, `_` and dots")
            }
        }
        if labelStart == end { return invalid(end, "a host name has no empty labels") }

        // A name whose last label is numeric is an IPv4 address or nothing: backends
        // read `127.1` or `0x7f.1` as addresses, so no guess is made here.
        if looksNumeric(UnsafeBufferPointer(rebasing: b[labelStart..<end])) {
            guard parseIPv4(UnsafeBufferPointer(rebasing: b[0..<end])) != nil else {
                return invalid(0, "not a valid IPv4 address (four decimal parts 0–255, no leading zeros)")
            }
            return .host(.ipv4(end == n ? original : String(decoding: UnsafeBufferPointer(rebasing: b[0..<end]), as: UTF8.self)))
        }

        let name: String
        if !hasUppercase && end == n {
            name = original
        } else {
            name = String(unsafeUninitializedCapacity: end) { out in
                for i in 0..<end { out[i] = ASCII.lowercased(b[i]) }
                return end
            }
        }
        return .host(.name(HostLabels(name: name)))
    }

    /// Where the canonical name at the start of `b` ends: `b.count` when all of `b` is a
    /// name already in canonical form (lowercase letters, digits, `-` and `_` labels, no
    /// empty label, no trailing dot, a last label that is not numeric), else the offset of
    /// the first byte outside such a name when what precedes it is one, else 0.
    static func canonicalNameEnd(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var labelStart = 0
        var end = b.count
        for i in 0..<b.count {
            let byte = b[i]
            if byte == ASCII.dot {
                if i == labelStart { return 0 }
                labelStart = i + 1
            } else if !ASCII.isMember(byte, low: 0x03FF_2000_0000_0000, high: 0x07FF_FFFE_8000_0000) {
                end = i  // not a lowercase letter, a digit, `-` or `_`
                break
            }
        }
        guard labelStart < end, !looksNumeric(UnsafeBufferPointer(rebasing: b[labelStart..<end])) else { return 0 }
        return end
    }

    /// `nil` when `b[from...]` is a valid port, otherwise why not.
    static func checkPort(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> StaticString? {
        let digits = b.count - from
        if digits <= 0 { return "the port is empty" }
        if digits > 5 { return "a port has at most 5 digits" }
        var value = 0
        for i in from..<b.count {
            guard ASCII.isDigit(b[i]) else { return "a port has digits only" }
            value = value * 10 + Int(b[i] - 0x30)
        }
        return value > 65535 ? "a port is at most 65535" : nil
    }

    /// All decimal digits, or `0x` and hex digits: a label that URL parsers treat as a number.
    static func looksNumeric(_ label: UnsafeBufferPointer<UInt8>) -> Bool {
        if label.allSatisfy(ASCII.isDigit) { return true }
        if label.count >= 2 && label[0] == 0x30 && label[1] | 0x20 == 0x78 {
            return label.dropFirst(2).allSatisfy { ASCII.hexValue($0) != nil }
        }
        return false
    }

    /// A strict dotted quad: four decimal parts 0–255 without leading zeros (which some
    /// parsers read as octal).
    static func parseIPv4(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var i = 0
        while parts < 4 {
            let start = i
            var value: UInt32 = 0
            while i < b.count, ASCII.isDigit(b[i]), i - start < 3 {
                value = value * 10 + UInt32(b[i] - 0x30)
                i += 1
            }
            let length = i - start
            if length == 0 || value > 255 || (length > 1 && b[start] == 0x30) { return nil }
            result = result << 8 | value
            parts += 1
            if parts < 4 {
                guard i < b.count, b[i] == ASCII.dot else { return nil }
                i += 1
            }
        }
        return i == b.count ? result : nil
    }

    /// RFC 4291 text form without brackets or zone: eight groups, one `::`, and an
    /// optional dotted-quad tail.
    static func parseIPv6(_ c: UnsafeBufferPointer<UInt8>) -> SIMD8<UInt16>? {
        let m = c.count
        var groups = SIMD8<UInt16>()
        var count = 0
        var compressAt = -1
        var i = 0
        if m >= 2 && c[0] == ASCII.colon && c[1] == ASCII.colon {
            compressAt = 0
            i = 2
        } else if m == 0 || c[0] == ASCII.colon {
            return nil
        }
        while i < m {
            if count == 8 { return nil }
            let start = i
            var value: UInt16 = 0
            while i < m, i - start < 4, let digit = ASCII.hexValue(c[i]) {
                value = value << 4 | UInt16(digit)
                i += 1
            }
            if i < m && c[i] == ASCII.dot {
                guard count <= 6, let v4 = parseIPv4(UnsafeBufferPointer(rebasing: c[start..<m])) else { return nil }
                groups[count] = UInt16(v4 >> 16)
                groups[count + 1] = UInt16(v4 & 0xFFFF)
                count += 2
                i = m
                break
            }
            if i == start { return nil }
            groups[count] = value
            count += 1
            if i == m { break }
            guard c[i] == ASCII.colon else { return nil }
            i += 1
            if i < m && c[i] == ASCII.colon {
                if compressAt >= 0 { return nil }
                compressAt = count
                i += 1
            } else if i == m {
                return nil
            }
        }
        if compressAt >= 0 {
            if count == 8 { return nil }
            var expanded = SIMD8<UInt16>()
            let tail = count - compressAt
            for k in 0..<compressAt { expanded[k] = groups[k] }
            for k in 0..<tail { expanded[8 - tail + k] = groups[compressAt + k] }
            return expanded
        }
        return count == 8 ? groups : nil
    }

    /// RFC 5952 text with brackets: lowercase hex, no leading zeros, the longest run of
    /// two or more zero groups (the first on a tie) as `::`, IPv4-mapped as `::ffff:a.b.c.d`.
    static func formatIPv6(_ groups: SIMD8<UInt16>) -> String {
        var text = "["
        let mapped = (0..<5).allSatisfy { groups[$0] == 0 } && groups[5] == 0xFFFF
        if mapped {
            text += "::ffff:\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)]"
            return text
        }
        var bestStart = -1, bestLength = 1
        var k = 0
        while k < 8 {
            guard groups[k] == 0 else { k += 1; continue }
            var run = k
            while run < 8 && groups[run] == 0 { run += 1 }
            if run - k > bestLength { bestStart = k; bestLength = run - k }
            k = run
        }
        k = 0
        while k < 8 {
            if k == bestStart {
                text += "::"
                k += bestLength
                continue
            }
            if k > 0 && k != bestStart + bestLength { text += ":" }
            text += String(groups[k], radix: 16)
            k += 1
        }
        return text + "]"
    }
}

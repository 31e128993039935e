/// A URL keys are fetched from (`jwksUri`, a discovery document, its `jwks_uri`), parsed
/// strictly: `https` or `http`, a host, an optional port, a path and an optional query.
/// No userinfo, no fragment, nothing outside printable ASCII, so what the runtime fetches
/// is exactly what the reviewer read.
public struct KeyURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case https, http
    }

    public var scheme: Scheme
    /// As written: a DNS name or IPv4 address, or an IPv6 address in brackets.
    public var host: String
    public var port: Int?
    /// From the first `/` to the end, query included; may be empty.
    public var pathAndQuery: String
    /// The whole URL as written.
    public var text: String

    public var description: String { text }

    /// `localhost`, `127.0.0.0/8` and `[::1]`: the only hosts `http` may name.
    public var isLoopback: Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "[::1]" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { Self.isOctet($0) }
    }

    /// Whether `host` (and port, if any) equal `other`'s, for redirects and `jwks_uri`.
    public func sameOrigin(as other: KeyURL) -> Bool {
        scheme == other.scheme && host.lowercased() == other.host.lowercased() && port == other.port
    }

    /// Why a text is not a key URL: a message and a hint.
    public struct ParseError: Error, Sendable, Hashable {
        public var message: String
        public var hint: String
    }

    public static func parse(_ text: String) -> Result<KeyURL, ParseError> {
        func fail(_ message: String, _ hint: String) -> Result<KeyURL, ParseError> {
            .failure(ParseError(message: message, hint: hint))
        }
        let bytes = Array(text.utf8)
        if let bad = bytes.first(where: { $0 <= 0x20 || $0 >= 0x7F }) {
            if bad >= 0x80 {
                return fail("contains a character outside ASCII", "write the host in punycode and percent-encode the path")
            }
            return fail("contains whitespace or a control character", "remove it, or percent-encode it in the path")
        }
        guard let schemeEnd = text.range(of: "://") else {
            return fail("has no scheme", "write `https://` and the host")
        }
        let schemeText = String(text[..<schemeEnd.lowerBound])
        guard let scheme = Scheme(rawValue: schemeText) else {
            if let lowered = Scheme(rawValue: schemeText.lowercased()) {
                return fail("has the scheme `\(schemeText)`", "write the scheme in lowercase: `\(lowered.rawValue)`")
            }
            return fail("has the scheme `\(schemeText)`", "key sets are fetched over `https`")
        }
        let rest = text[schemeEnd.upperBound...]
        if rest.contains("#") { return fail("has a fragment (`#…`)", "remove the fragment: it is never sent to the server") }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var pathAndQuery = String(rest[authorityEnd...])
        if pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        if authority.contains("@") {
            return fail("has userinfo (`user@`)", "remove the credentials: a key set is public and fetched without them")
        }
        var host = Substring(authority)
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return fail("has an unclosed `[` in the host", "write an IPv6 address as `[::1]`") }
            host = authority[...close]
            let inner = authority[authority.index(after: authority.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), inner.contains(":") else {
                return fail("has an invalid IPv6 address `\(host)`", "write an IPv6 address as `[::1]`")
            }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return fail("has text after the IPv6 address", "write `[address]:port`") }
                switch parsePort(after.dropFirst()) {
                case .success(let value): port = value
                case .failure(let error): return .failure(error)
                }
            }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                switch parsePort(authority[authority.index(after: colon)...]) {
                case .success(let value): port = value
                case .failure(let error): return .failure(error)
                }
            }
            guard !host.isEmpty else { return fail("has no host", "write the identity provider's host after `\(scheme.rawValue)://`") }
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let validLabel: (Substring) -> Bool = { label in
                !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { byte in
                        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "-")
                    }
            }
            guard host.utf8.count <= 253, labels.allSatisfy(validLabel) else {
                return fail("has an invalid host `\(host)`", "a host is letters, digits and `-` in dot-separated labels")
            }
        }
        for (index, byte) in pathAndQuery.utf8.enumerated() {
            let allowed = Self.isUnreserved(byte) || "/?%!$&'()*+,;=:@".utf8.contains(byte)
            guard allowed else { return fail("has `\(Character(UnicodeScalar(byte)))` in its path", "percent-encode it") }
            if byte == UInt8(ascii: "%") {
                let path = Array(pathAndQuery.utf8)
                guard index + 2 < path.count, Character(UnicodeScalar(path[index + 1])).isHexDigit,
                      Character(UnicodeScalar(path[index + 2])).isHexDigit else {
                    return fail("has a `%` not followed by two hex digits", "write `%25` for a literal `%`")
                }
            }
        }
        return .success(KeyURL(scheme: scheme, host: String(host), port: port, pathAndQuery: pathAndQuery, text: text))
    }

    static func parsePort(_ text: Substring) -> Result<Int?, ParseError> {
        guard !text.isEmpty, text.utf8.count <= 5, text.allSatisfy(\.isASCIIDigit), let value = Int(text), (1...65_535).contains(value) else {
            return .failure(ParseError(message: "has an invalid port `\(text)`", hint: "a port is a number from 1 to 65535"))
        }
        return .success(value)
    }

    static func isOctet(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 3, text.allSatisfy(\.isASCIIDigit), let value = Int(text) else { return false }
        return value <= 255 && (text.count == 1 || text.first != "0")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~".utf8.contains(byte)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The https/loopback rule for every URL keys are fetched from.
public enum KeyURLPolicy {
    /// The problem with fetching keys from `url`, as a message and a hint; nil when allowed.
    public static func problem(with url: KeyURL, allowInsecure: Bool) -> (message: String, hint: String)? {
        switch url.scheme {
        case .https:
            return nil
        case .http where !url.isLoopback:
            return ("`\(url.text)` is not https", "keys are fetched over https; plain http is accepted only for loopback addresses (localhost, 127.0.0.0/8, [::1]) with `allowInsecureJwksUri: true`")
        case .http where !allowInsecure:
            return ("`\(url.text)` is plain http", "for a test server or a sidecar on loopback, add `allowInsecureJwksUri: true`; otherwise use https")
        case .http:
            return nil
        }
    }
}

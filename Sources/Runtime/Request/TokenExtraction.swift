public import BundleFormat

/// What the token locations of an entry yielded for one request.
public enum TokenExtraction: Sendable, Equatable {
    /// No location held a token.
    case none
    /// Exactly one distinct token, and every place it was found (to remove it from the
    /// request before forwarding, unless the place is `passthrough`). The token is a slice
    /// of the text it was read from (the header value, or the decoded parameter or
    /// cookie), so finding it copies nothing: a repeated token that the verified-token
    /// cache holds is never copied at all.
    case token(Substring, foundAt: [FoundToken])
    /// Different tokens: 401 `token_ambiguous`.
    case ambiguous
    /// A location held its prefix and nothing after it: 401 `token_malformed`.
    case empty

    /// The token, when exactly one was found.
    public var token: String? {
        if case .token(let token, _) = self { return String(token) }
        return nil
    }
}

/// A place a token was found.
public struct FoundToken: Sendable, Hashable {
    public var source: TokenLocation.Source
    /// The location's name: a lowercased header name, or an exact query parameter or
    /// cookie name.
    public var name: String
    /// The prefix the token followed: part of the location's identity.
    public var prefix: String
    /// Whether the token stays in the request forwarded to the backend.
    public var passthrough: Bool

    public init(source: TokenLocation.Source, name: String, prefix: String = "", passthrough: Bool) {
        self.source = source
        self.name = name
        self.prefix = prefix
        self.passthrough = passthrough
    }

    public init(_ location: TokenLocation) {
        self.init(source: location.source, name: location.name, prefix: location.prefix, passthrough: location.passthrough)
    }

    /// Places compare by source, name and passthrough; the prefix only tells which of an
    /// entry's locations the token matched.
    public static func == (lhs: FoundToken, rhs: FoundToken) -> Bool {
        lhs.source == rhs.source && lhs.name == rhs.name && lhs.passthrough == rhs.passthrough
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(name)
        hasher.combine(passthrough)
    }

    /// Whether this place is `location` (same source, name and prefix).
    public func isPlace(of location: TokenLocation) -> Bool {
        source == location.source && name == location.name && Self.samePrefix(prefix, location.prefix)
    }

    /// Prefixes compare case-insensitively: ASCII without allocating; Unicode lowercasing
    /// only when a prefix has other characters and the bytes differ.
    static func samePrefix(_ a: String, _ b: String) -> Bool {
        if ASCII.equalsIgnoringCase(a, b) { return true }
        if a.utf8.allSatisfy({ $0 < 0x80 }) && b.utf8.allSatisfy({ $0 < 0x80 }) { return false }
        return a.lowercased() == b.lowercased()
    }
}

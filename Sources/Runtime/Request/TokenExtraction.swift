public import BundleFormat

/// What the token locations of an entry yielded for one request.
public enum TokenExtraction: Sendable, Equatable {
    /// No location held a token.
    case none
    /// Exactly one distinct token, and every place it was found (to remove it from the
    /// request before forwarding, unless the place is `passthrough`).
    case token(String, foundAt: [FoundToken])
    /// Different tokens: 401 `token_ambiguous`.
    case ambiguous
    /// A location held its prefix and nothing after it: 401 `token_malformed`.
    case empty

    /// The token, when exactly one was found.
    public var token: String? {
        if case .token(let token, _) = self { return token }
        return nil
    }
}

/// A place a token was found.
public struct FoundToken: Sendable, Hashable {
    public var source: TokenLocation.Source
    /// The location's name: a lowercased header name, or an exact query parameter or
    /// cookie name.
    public var name: String
    /// Whether the token stays in the request forwarded to the backend.
    public var passthrough: Bool

    public init(source: TokenLocation.Source, name: String, passthrough: Bool) {
        self.source = source
        self.name = name
        self.passthrough = passthrough
    }

    public init(_ location: TokenLocation) {
        self.init(source: location.source, name: location.name, passthrough: location.passthrough)
    }
}

/// A request as the gateway hands it to the runtime, before any normalisation.
///
/// Nothing here is trusted or cleaned up: `RequestNormalizer` turns it into the
/// `NormalizedRequest` that rules are matched against, and `TokenExtractor` reads the
/// token from it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The `:authority` (or the proxy's idea of the host); `nil` or empty means
    /// "not given", in which case the `Host` header is used.
    public var host: String?
    /// The raw request-target: the path, then maybe `?query`, then maybe `#fragment`.
    public var target: String
    /// In arrival order. Names compare case-insensitively and may repeat.
    public var headers: [HTTPHeader]

    public init(method: String = "GET", host: String? = nil, target: String, headers: [HTTPHeader] = []) {
        self.method = method
        self.host = host
        self.target = target
        self.headers = headers
    }
}

/// One header field as received. Lookups (`HeaderLookup`) compare names
/// case-insensitively; the stored name keeps its original spelling.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }

    /// Whether a CGI-style backend (CGI, WSGI, PHP, nginx variables) reads this header as
    /// `canonical` (lowercase): letters case-insensitive, every punctuation character the
    /// same, so `X_User_Id` and `x.user.id` are `x-user-id` there.
    public func isAlias(of canonical: String) -> Bool {
        ASCII.equalsHeaderName(name, canonical: canonical)
    }
}

public import Diagnostics

/// A value with the source span it was read from (nil for defaults).
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var span: SourceSpan?

    public init(_ value: Value, at span: SourceSpan?) {
        self.value = value
        self.span = span
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// Every policy file that was read, and the authentication entries they declare.
public struct PolicySet: Sendable {
    /// The policy files, sorted by path.
    public var files: [SourceFile]
    /// JWKS files referenced by `jwksFile`, loaded once each.
    public var keyFiles: [SourceFile]
    /// The entries in file order, then document order.
    public var entries: [AuthenticationEntry]
    /// What bundle file names are relative to; nil keeps the paths as they are (files
    /// given in memory).
    public var root: PolicyRoot?
    /// Entries with structural errors: what could be read of them, still checked.
    public var incompleteEntries: [EntryParts]

    public init(files: [SourceFile] = [], keyFiles: [SourceFile] = [], entries: [AuthenticationEntry] = [],
                incompleteEntries: [EntryParts] = [], root: PolicyRoot? = nil) {
        self.files = files
        self.keyFiles = keyFiles
        self.entries = entries
        self.incompleteEntries = incompleteEntries
        self.root = root
    }

    /// A file's name as the bundle records it.
    public func bundleName(of file: SourceFile) -> String {
        root?.bundleName(of: file.path) ?? file.path
    }
}

/// One YAML document: one authentication entry, as the console defines it.
public struct AuthenticationEntry: Sendable {
    /// The whole document.
    public var span: SourceSpan
    public var version: Located<Int>
    public var name: Located<String>
    public var enabled: Located<Bool>
    public var issuer: Located<String>
    public var subject: Located<String>?
    public var audiences: [Located<String>]
    /// The allow-list of JWS algorithms; nil means what the keys allow.
    public var algorithms: [Located<String>]?
    /// Seconds of clock skew tolerated for `exp`, `nbf` and `iat`.
    public var clockSkew: Located<Int>
    public var requireExpiration: Located<Bool>
    /// Seconds; the largest accepted `exp - iat`.
    public var maxLifetime: Located<Int>?
    /// The keys in the policy; with `jwksUri` or `discovery`, nil until `compile
    /// --fetch-jwks` fetches the bootstrap set (then `.fetched`).
    public var jwks: JWKSSource?
    /// `jwksUri` or `discovery`: keys fetched at run time; nil for keys in the policy only.
    public var remoteKeys: RemoteKeySource?
    public var tokenLocations: [TokenLocation]
    public var claims: [ClaimDeclaration]
    public var forwardClaims: [ForwardedClaim]
    /// The hosts the entry applies to, in either mode; nil: every host (the console's
    /// global authentication).
    public var hosts: [Located<DomainPattern>]?
    /// CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) pass
    /// this entry without a token. Default false.
    public var allowCorsPreflight: Located<Bool>
    public var authorization: Authorization
}

/// Where an entry's keys come from.
public enum JWKSSource: Sendable {
    /// `jwks:` written as a YAML mapping.
    case mapping(YAMLNode)
    /// `jwks:` written as a string holding JSON, as pasted from the console.
    case jsonText(YAMLNode)
    /// `jwksFile:`, resolved relative to the policy file.
    case file(path: Located<String>, file: SourceFile)
    /// A set fetched from `url` by `compile --fetch-jwks`; every problem in it is reported
    /// at `span`, the entry's `jwksUri` or `discovery` value.
    case fetched(url: String, body: [UInt8], span: SourceSpan)
}

/// `jwksUri` or `discovery`: where the runtime fetches an entry's keys, and how often.
public struct RemoteKeySource: Sendable {
    public enum Kind: String, Sendable, Hashable {
        /// `jwksUri`: the URL of a JWKS.
        case jwksUri
        /// `discovery: true`: the issuer's OpenID configuration names the JWKS.
        case discovery
    }

    public var kind: Kind
    /// What is fetched: the `jwksUri` as written, or with discovery the issuer (without a
    /// trailing `/`) followed by `/.well-known/openid-configuration`.
    public var url: KeyURL
    /// The `jwksUri` or `discovery` value: where problems with the remote set are reported.
    public var span: SourceSpan
    /// `allowInsecureJwksUri`: `http` to a loopback address is accepted.
    public var allowInsecure: Located<Bool>
    public var refresh: KeyRefresh
    /// Set by `compile --fetch-jwks`: when the bootstrap set in `jwks` was fetched (seconds
    /// since the epoch).
    public var fetchedAt: UInt64?
}

/// `jwksRefresh`, in seconds, each with its span (nil for a default).
public struct KeyRefresh: Sendable, Hashable {
    /// The refresh interval when the response has no caching headers.
    public var defaultInterval: Located<Int>
    /// The bounds on an interval taken from caching headers.
    public var minInterval: Located<Int>
    public var maxInterval: Located<Int>
    /// How long the last good set keeps serving while fetches fail.
    public var maxStale: Located<Int>
    /// The least time between two fetches caused by a token with an unknown `kid`.
    public var cooldown: Located<Int>

    /// 10m, 1m, 1h, 24h, 30s.
    public static let defaults = KeyRefresh(
        defaultInterval: Located(600, at: nil), minInterval: Located(60, at: nil), maxInterval: Located(3600, at: nil),
        maxStale: Located(86_400, at: nil), cooldown: Located(30, at: nil))
}

/// Where a token is read from in a request.
public struct TokenLocation: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable, CaseIterable {
        case header, query, cookie
    }

    public var source: Source
    /// The header, query parameter or cookie name.
    public var name: String
    /// Stripped before validation; compared case-insensitively for headers.
    public var prefix: String
    /// Whether the token is forwarded to the backend after validation.
    public var passthrough: Bool
    public var span: SourceSpan?
}

/// A claim path and the requirements on it.
public struct ClaimDeclaration: Sendable {
    /// The claim's path: `realm_access.roles` is `["realm_access", "roles"]`.
    public var path: Located<[String]>
    public var declaredType: Located<ClaimType>?
    public var requirements: [ClaimRequirement]
}

/// The types a claim can be declared with.
public enum ClaimType: String, Sendable, Hashable, CaseIterable {
    case string, number, integer, boolean
    case stringArray = "string[]"
}

/// A scalar value written in a claim requirement, typed YAML 1.2 style.
public enum ClaimValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    /// A number with its source text (so `1` and `1.0` print as written).
    case number(Double, text: String)
    case boolean(Bool)

    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .number(_, let text): text
        case .boolean(let value): value ? "true" : "false"
        }
    }
}

/// One requirement on a claim.
public struct ClaimRequirement: Sendable {
    public enum Kind: Sendable {
        case equals(ClaimValue)
        case oneOf([ClaimValue])
        case contains(ClaimValue)
        case containsAll([ClaimValue])
        case containsAny([ClaimValue])
        case atLeast(Double)
        case atMost(Double)
        case present
        case absent
    }

    public var kind: Kind
    /// The requirement's key (`equals`, …) and value.
    public var span: SourceSpan
    public var valueSpan: SourceSpan
}

/// A claim copied into a request header for the backend.
public struct ForwardedClaim: Sendable {
    public var claim: Located<[String]>
    /// Lowercased header name.
    public var header: Located<String>
}

/// The console's Authorization section: a mode and its rules.
public struct Authorization: Sendable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Matching requests skip authentication; all others need it.
        case whitelist
        /// Only matching requests need authentication.
        case blacklist
    }

    public var mode: Located<Mode>
    public var rules: [Rule]
}

/// One domain + path rule condition.
public struct Rule: Sendable {
    public var span: SourceSpan
    public var domain: Located<DomainPattern>
    public var path: Located<PathPattern>
    /// Compare the path case-insensitively. Defaults to the safe direction for the mode.
    public var ignoreCase: Located<Bool>
    /// The request methods the rule matches, upper-case, without duplicates; nil: any method.
    public var methods: [Located<String>]?

    public init(span: SourceSpan, domain: Located<DomainPattern>, path: Located<PathPattern>, ignoreCase: Located<Bool>,
                methods: [Located<String>]? = nil) {
        self.span = span
        self.domain = domain
        self.path = path
        self.ignoreCase = ignoreCase
        self.methods = methods
    }

    /// The rule's methods as bits of `HTTPMethods.known`; nil: any method.
    public var methodMask: UInt16? {
        methods.map { HTTPMethods.mask($0.map(\.value)) }
    }
}

/// The request methods a rule may name: RFC 9110 §9 and `PATCH` (RFC 5789). Methods are
/// case-sensitive tokens; others (extension methods such as WebDAV's) are refused, so a
/// typo never silently becomes a rule that matches nothing.
public enum HTTPMethods {
    public static let known = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    public static func mask(_ methods: [String]) -> UInt16 {
        methods.reduce(0) { mask, method in mask | (known.firstIndex(of: method).map { 1 << UInt16($0) } ?? 0) }
    }
}

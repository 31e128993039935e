/// The parts of an entry the checks read, each nil when it is absent or could not be
/// read without errors. A complete entry has them all; an entry with structural errors
/// keeps the parts that were read cleanly, so key, claim and rule checks still run on
/// them in the same pass (a leaked private key is reported in the first report, next to
/// a typo elsewhere) while a part that had an error of its own is never judged again.
public struct EntryParts: Sendable {
    public var name: Located<String>?
    public var issuer: Located<String>?
    public var subject: Located<String>?
    public var audiences: [Located<String>]?
    /// nil: not given (what the keys allow), or given with errors.
    public var algorithms: [Located<String>]?
    public var jwks: JWKSSource?
    /// `jwksUri` or `discovery`, when given and read without errors.
    public var remoteKeys: RemoteKeySource?
    public var claims: [ClaimDeclaration]?
    public var forwardClaims: [ForwardedClaim]?
    public var authorization: Authorization?

    public init(name: Located<String>? = nil, issuer: Located<String>? = nil, subject: Located<String>? = nil,
                audiences: [Located<String>]? = nil, algorithms: [Located<String>]? = nil, jwks: JWKSSource? = nil,
                claims: [ClaimDeclaration]? = nil, forwardClaims: [ForwardedClaim]? = nil, authorization: Authorization? = nil,
                remoteKeys: RemoteKeySource? = nil) {
        self.remoteKeys = remoteKeys
        self.name = name
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.algorithms = algorithms
        self.jwks = jwks
        self.claims = claims
        self.forwardClaims = forwardClaims
        self.authorization = authorization
    }

    /// How messages name the entry.
    public var displayName: String { name.map { "`\($0.value)`" } ?? "this entry" }
}

extension AuthenticationEntry {
    /// Every part, for the checks.
    public var parts: EntryParts {
        EntryParts(name: name, issuer: issuer, subject: subject, audiences: audiences, algorithms: algorithms, jwks: jwks,
                   claims: claims, forwardClaims: forwardClaims, authorization: authorization, remoteKeys: remoteKeys)
    }
}

public import Runtime

/// What every transport needs from a decision, in one transport-neutral value: the
/// verdict and status, the upstream request changes, and the client-facing texts.
public struct ServiceResponse: Sendable, Equatable {
    /// What to do with the upstream request's `cookie` header.
    public enum CookieChange: Sendable, Equatable {
        case keep
        /// Overwrite it with this value (the token cookie taken out).
        case set(String)
        /// Remove it: nothing is left once the token cookie is taken out.
        case remove
    }

    public var allowed: Bool
    /// 200, 400, 401 or 403.
    public var status: Int
    public var reason: Decision.Reason
    /// Forwarded-claim headers to set, overwriting the client's copies (lowercased names).
    public var setHeaders: [HTTPHeader]
    /// Headers to remove upstream: the token header (passthrough off) and every forwarded-claim
    /// header the client sent, except those `setHeaders` overwrites anyway.
    public var removeHeaders: [String]
    /// Query parameters to remove upstream (query tokens with passthrough off).
    public var removeQuery: [String]
    public var cookie: CookieChange
    /// The client-safe `WWW-Authenticate` value on 401 and 403.
    public var wwwAuthenticate: String?
    /// The revision of the bundle that decided (nil for input refused before a decision):
    /// `x-gatepass-revision` upstream on an allow, to the client on a denial.
    public var revision: String?

    /// The header that names the deciding bundle's revision.
    public static let revisionHeader = "x-gatepass-revision"

    /// The JSON body of a denial.
    public var body: String { ClientText.body(reason) }

    /// The gRPC-style status word of the HTTP status, for transports that carry one.
    public var isBadRequest: Bool { status == 400 }

    public init(allowed: Bool, status: Int, reason: Decision.Reason, setHeaders: [HTTPHeader] = [], removeHeaders: [String] = [],
                removeQuery: [String] = [], cookie: CookieChange = .keep, wwwAuthenticate: String? = nil, revision: String? = nil) {
        self.allowed = allowed
        self.status = status
        self.reason = reason
        self.setHeaders = setHeaders
        self.removeHeaders = removeHeaders
        self.removeQuery = removeQuery
        self.cookie = cookie
        self.wwwAuthenticate = wwwAuthenticate
        self.revision = revision
    }

    /// Maps a runtime decision on `request` (whose headers the cookie rewrite reads).
    public init(_ decision: Decision, request: HTTPRequest, revision: String? = nil) {
        let mutations = decision.mutations
        let setNames = Set(mutations.set.map { $0.name.lowercased() })
        var removed: [String] = []
        for name in mutations.remove {
            let lower = name.lowercased()
            if !setNames.contains(lower) && !removed.contains(lower) { removed.append(lower) }
        }
        // A client's alias of the revision header (x_gatepass_revision, x.gatepass.revision)
        // goes too, as the runtime does for claim headers: CGI-style upstreams read it as
        // the header itself.
        if decision.isAllowed {
            for header in request.headers where header.isAlias(of: Self.revisionHeader) {
                let lower = header.name.lowercased()
                if lower != Self.revisionHeader && !removed.contains(lower) { removed.append(lower) }
            }
        }
        var cookie = CookieChange.keep
        if decision.isAllowed && !mutations.removeCookies.isEmpty {
            cookie = CookieRewriter.rewrite(request.headers, removing: mutations.removeCookies)
        }
        self.init(allowed: decision.isAllowed, status: decision.status, reason: decision.reason,
                  setHeaders: decision.isAllowed ? mutations.set : [],
                  removeHeaders: decision.isAllowed ? removed : [],
                  removeQuery: decision.isAllowed ? mutations.removeQuery : [],
                  cookie: cookie, wwwAuthenticate: ClientText.challenge(decision), revision: revision)
    }

    /// The denial for input that never reached a decision: malformed, oversized, missing
    /// attributes, an untrusted peer. 400 `bad_request`, never an allow.
    public static let badInput = ServiceResponse(allowed: false, status: 400, reason: .badRequest)

    /// The headers an allow sets upstream: the forwarded claims and the revision (both
    /// overwrite whatever the client sent under those names).
    public var upstreamHeaders: [HTTPHeader] {
        guard let revision else { return setHeaders }
        return setHeaders + [HTTPHeader(Self.revisionHeader, revision)]
    }

    /// Headers removed upstream including `cookie` when the rewrite leaves nothing.
    public var removeHeadersIncludingCookie: [String] {
        if case .remove = cookie, !removeHeaders.contains("cookie") { return removeHeaders + ["cookie"] }
        return removeHeaders
    }
}


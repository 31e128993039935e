import JOSE

/// The outcome of one request: a value, never a thrown error.
public struct Decision: Sendable {
    public enum Verdict: String, Sendable, Hashable {
        case allow, deny
    }

    /// The stable reason codes of the CLI and JSON contract.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        case noAuthRequired = "no_auth_required"
        /// A CORS preflight that every protecting entry lets through (`allowCorsPreflight`).
        case corsPreflight = "cors_preflight"
        case authenticated
        case badRequest = "bad_request"
        case tokenMissing = "token_missing"
        case tokenAmbiguous = "token_ambiguous"
        case tokenMalformed = "token_malformed"
        case tokenTooLarge = "token_too_large"
        case unsupportedAlgorithm = "unsupported_algorithm"
        case unknownKey = "unknown_key"
        case badSignature = "bad_signature"
        case tokenExpired = "token_expired"
        case tokenNotYetValid = "token_not_yet_valid"
        case tokenIssuedInFuture = "token_issued_in_future"
        case lifetimeExceeded = "lifetime_exceeded"
        case issuerMismatch = "issuer_mismatch"
        case subjectMismatch = "subject_mismatch"
        case audienceMismatch = "audience_mismatch"
        case claimRequirementFailed = "claim_requirement_failed"
    }

    public let verdict: Verdict
    /// 200, 400, 401 or 403.
    public let status: Int
    public let reason: Reason
    /// The entry that authenticated the request, or whose verification failed; nil when none was selected.
    public let authentication: String?
    /// What to change in the request before it goes upstream.
    public var mutations: HeaderMutations { changes ?? HeaderMutations() }
    /// Nil when nothing changes (most requests that need no token): four empty arrays
    /// would cost four reference-count operations to copy and to destroy.
    private let changes: HeaderMutations?
    /// What the `WWW-Authenticate` challenge says; the text is built only when asked for.
    let challenge: Challenge?
    /// The decision's steps, when asked for.
    public var explanation: Explanation? { explained?.value }
    /// Boxed, as is every `detail` payload: a decision is returned by value on every
    /// request, and without them it would be hundreds of bytes to initialise and copy.
    private let explained: Explained?
    let detail: Detail
    /// The presented token once it parsed (verified or not), for the facts decision logs record.
    let token: JWSToken?

    /// An explanation in its box, made by the decision context only when one was asked
    /// for: the context hands over one pointer, never an `Explanation?` value to copy.
    final class Explained: Sendable {
        let value: Explanation
        init(_ value: Explanation) { self.value = value }
    }

    init(verdict: Verdict, status: Int, reason: Reason, authentication: String?, mutations: HeaderMutations?, challenge: Challenge?,
         explained: Explained?, detail: Detail, token: JWSToken?) {
        self.verdict = verdict
        self.status = status
        self.reason = reason
        self.authentication = authentication
        if let mutations, !mutations.isEmpty { changes = mutations } else { changes = nil }
        self.challenge = challenge
        self.explained = explained
        self.detail = detail
        self.token = token
    }

    /// The presented token's `iss`, when a token parsed. Operators' logs only.
    public var tokenIssuer: String? { token?.issuer }
    /// The presented token's `kid` header, when a token parsed. Operators' logs only.
    public var tokenKeyID: String? { token?.header.kid }
    /// The presented token's `sub`, when it is a string. Operators' logs only (hash it there).
    public var tokenSubject: String? {
        if case .string(let subject, _)? = token?.claim(["sub"]) { return subject }
        return nil
    }

    /// The claim requirement that failed, for 403 `claim_requirement_failed`.
    public var claimFailure: ClaimFailure? {
        if case .claim(let failure) = detail { return failure }
        return nil
    }

    /// The `WWW-Authenticate` value (RFC 6750) for 401 and 403, built when asked for:
    /// `Bearer realm="<entry or gatepass>"`, an `error` when a token was presented (or the
    /// request was ambiguous, or a claim failed), and an `error_description`.
    ///
    /// This goes to clients, so the description is the reason's fixed `clientDescription`:
    /// never the operator's `message`, which names files, lines, claim values and key ids.
    public var wwwAuthenticate: String? {
        guard let challenge else { return nil }
        var value = "Bearer realm=\"\(authentication ?? "gatepass")\""
        if let error = challenge.error { value += ", error=\"\(error.rawValue)\"" }
        if challenge.describe { value += ", error_description=\"\(clientDescription)\"" }
        return value
    }

    /// A short, fixed description of the reason, safe to show to any client (response
    /// bodies, `error_description`): no file names, locations, claim values, key ids or
    /// entry internals. The detailed `message` is for operators: logs and `--explain`.
    public var clientDescription: String { reason.clientDescription }

    struct Challenge: Sendable {
        enum Error: String, Sendable {
            case invalidRequest = "invalid_request"
            case invalidToken = "invalid_token"
            case insufficientScope = "insufficient_scope"
        }

        let error: Error?
        let describe: Bool
    }

    /// A human description, built only when asked for.
    public var message: String { detail.message(reason: reason, entry: authentication) }

    public var isAllowed: Bool { verdict == .allow }

    /// Facts behind the reason, turned into a message lazily.
    indirect enum Detail: Sendable {
        case none
        case badRequest(BadRequest)
        case verification(VerificationFailure)
        case claim(ClaimFailure)
        case noIssuer(String?)
        case noTokenForEntry
        /// The entry's keys come from an identity provider and the set in use is older than
        /// its `jwksRefresh.maxStale` (or there is none): the entry fails closed.
        case staleKeys(age: Double?)
    }
}

extension Decision.Reason {
    /// The client-facing description: fixed per reason, printable ASCII without `"` or
    /// `\\` (so it fits an RFC 6750 `error_description` as it is).
    public var clientDescription: String {
        switch self {
        case .noAuthRequired: "no authentication is required"
        case .corsPreflight: "a CORS preflight needs no authentication"
        case .authenticated: "the token is valid"
        case .badRequest: "the request is malformed or ambiguous"
        case .tokenMissing: "a token is required"
        case .tokenAmbiguous: "the request carries more than one token"
        case .tokenMalformed: "the token is malformed"
        case .tokenTooLarge: "the token is too large"
        case .unsupportedAlgorithm: "the token is signed with an algorithm that is not accepted"
        case .unknownKey: "the token is signed with an unknown key"
        case .badSignature: "the token signature is invalid"
        case .tokenExpired: "the token has expired"
        case .tokenNotYetValid: "the token is not valid yet"
        case .tokenIssuedInFuture: "the token is issued in the future"
        case .lifetimeExceeded: "the token lifetime is too long"
        case .issuerMismatch: "the token issuer is not accepted"
        case .subjectMismatch: "the token subject is not accepted"
        case .audienceMismatch: "the token is not valid for this audience"
        case .claimRequirementFailed: "the token does not grant access to this resource"
        }
    }
}

/// Changes to the upstream request.
public struct HeaderMutations: Sendable, Hashable {
    /// Headers to set (after `remove`), lowercased names, in a fixed order.
    public var set: [HTTPHeader]
    /// Lowercased header names to remove: forwarded-claim headers the client sent, and the
    /// token's header unless passed through.
    public var remove: [String]
    /// Query parameters to remove (the token, unless passed through).
    public var removeQuery: [String]
    /// Cookies to remove (the token, unless passed through).
    public var removeCookies: [String]

    public init(set: [HTTPHeader] = [], remove: [String] = [], removeQuery: [String] = [], removeCookies: [String] = []) {
        self.set = set
        self.remove = remove
        self.removeQuery = removeQuery
        self.removeCookies = removeCookies
    }

    /// Nothing to set or remove.
    public var isEmpty: Bool { self.set.isEmpty && remove.isEmpty && removeQuery.isEmpty && removeCookies.isEmpty }
}

/// Why a claim requirement failed.
public struct ClaimFailure: Sendable, Hashable {
    /// The failing check's index into its entry's claim checks.
    public let checkIndex: Int
    public let path: [String]
    public let requirement: String
    public let found: String
    /// Where the requirement is written.
    public let location: String
}

extension Decision.Detail {
    func message(reason: Decision.Reason, entry: String?) -> String {
        switch self {
        case .badRequest(let problem):
            return "bad request: \(problem.message)"
        case .verification(let failure):
            guard let entry else { return "invalid token: \(failure.message)" }
            return "token rejected by `\(entry)`: \(failure.message)"
        case .claim(let failure):
            return "claim `\(failure.path.joined(separator: "."))` must satisfy \(failure.requirement) (\(failure.location)), but \(failure.found)"
        case .noIssuer(let issuer):
            if let issuer { return "no authentication that protects this request has the issuer `\(issuer)`" }
            return "the token has no `iss` claim, so no authentication can be selected"
        case .staleKeys(let age):
            guard let age else { return "`\(entry ?? "gatepass")` fetches its keys from an identity provider and has none yet" }
            let seconds = age.isFinite && abs(age) < 1e15 ? String(Int(age)) : String(age)
            return "`\(entry ?? "gatepass")`'s key set is \(seconds) s old, past its `jwksRefresh.maxStale`"
        case .noTokenForEntry:
            return "`\(entry ?? "gatepass")` matches the token's issuer but reads its token from elsewhere"
        case .none:
            switch reason {
            case .noAuthRequired: return "no authentication protects this request"
            case .corsPreflight: return "a CORS preflight passes without a token: every entry that protects this request has `allowCorsPreflight`"
            case .authenticated: return "authenticated by `\(entry ?? "gatepass")`"
            case .tokenMissing: return "this request needs a token and none was found"
            case .tokenAmbiguous: return "the request carries several different tokens"
            case .tokenMalformed: return "the token is empty"
            default: return reason.rawValue
            }
        }
    }
}

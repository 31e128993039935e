/// What a verifier requires of a token beyond a valid signature.
public struct TokenPolicy: Sendable, Hashable {
    /// The required `iss`.
    public var issuer: String
    /// The required `sub`, if any.
    public var subject: String?
    /// Accepted audiences; empty means `aud` is not checked.
    public var audiences: [String]
    /// Algorithms accepted at all; `nil` accepts every supported one the key allows.
    public var allowedAlgorithms: Set<JWSAlgorithm>?
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var clockSkew: Double
    /// Whether `exp` must be present.
    public var requireExpiration: Bool
    /// The longest accepted `exp - iat`, in seconds (no skew applied).
    public var maxLifetime: Double?
    /// The largest accepted compact token, in bytes, checked before any decoding.
    public var maxTokenBytes: Int

    /// Creates a policy.
    public init(
        issuer: String, subject: String? = nil, audiences: [String] = [],
        allowedAlgorithms: Set<JWSAlgorithm>? = nil, clockSkew: Double = 60,
        requireExpiration: Bool = true, maxLifetime: Double? = nil, maxTokenBytes: Int = 8192
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.allowedAlgorithms = allowedAlgorithms
        self.clockSkew = clockSkew
        self.requireExpiration = requireExpiration
        self.maxLifetime = maxLifetime
        self.maxTokenBytes = maxTokenBytes
    }

    /// The default size bound for compact tokens (8 KiB).
    public static let defaultMaxTokenBytes = 8192
}

/// The outcome of verifying one token.
public enum VerificationResult: Sendable {
    /// Every check passed.
    case valid(JWSToken)
    /// The first check that failed.
    case invalid(VerificationFailure)

    /// The failure, if any.
    public var failure: VerificationFailure? {
        if case .invalid(let failure) = self { return failure }
        return nil
    }

    /// Whether the token is valid.
    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

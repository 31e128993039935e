/// Verifies compact JWS tokens against one key set and one policy.
///
/// Stages run in a fixed order and the first failure is the reason:
/// size → segments and base64url → header JSON → payload JSON → `alg` present and not
/// `none` → `crit`/`b64` → issuer → allow-list → key (by kid, else by alg) → the key's own
/// `alg` → signature → `exp` → `nbf` → `iat` → lifetime → `sub` → `aud`.
/// Immutable, so one instance serves any number of threads.
public struct JWTVerifier: Sendable {
    /// The keys tokens are verified with.
    public let keys: KeySet
    /// What tokens must satisfy.
    public let policy: TokenPolicy
    /// Bit i set when the algorithm of ordinal i is allowed.
    private let allowedMask: UInt32

    /// Creates a verifier.
    public init(keys: KeySet, policy: TokenPolicy) {
        self.keys = keys
        self.policy = policy
        var mask: UInt32 = 0
        for algorithm in JWSAlgorithm.allCases where policy.allowedAlgorithms?.contains(algorithm) ?? true {
            mask |= 1 << UInt32(algorithm.ordinal)
        }
        self.allowedMask = mask
    }

    /// Parses and verifies a compact token at time `now` (seconds since the epoch).
    public func verify(compact: String, now: Double) -> VerificationResult {
        switch JWSToken.parse(compact, maxBytes: policy.maxTokenBytes) {
        case .failure(let failure): return .invalid(failure)
        case .success(let token): return verify(token, now: now)
        }
    }

    /// Verifies an already parsed token (issuer onwards) at time `now`.
    public func verify(_ token: JWSToken, now: Double) -> VerificationResult {
        if let failure = check(token, now: now) { return .invalid(failure) }
        return .valid(token)
    }

    /// The time stages alone (`exp`, `nbf`, `iat`, lifetime) at `now`, for a token this
    /// verifier, with these keys, found valid before: what the verified-token cache runs on
    /// a hit. Every other stage (issuer, allow-list, key, signature, `sub`, `aud`) is a
    /// function of the token's bytes and of this verifier alone, and a hit is for the same
    /// bytes under the same verifier (the cache keys on both), so those stages pass again;
    /// only the clock moves. The result is the one `verify` would give at `now`.
    public func recheckTime(_ token: JWSToken, now: Double) -> VerificationResult {
        if let failure = TimeClaims.check(token, policy: policy, now: now) { return .invalid(failure) }
        return .valid(token)
    }

    /// The stages from the issuer on.
    private func check(_ token: JWSToken, now: Double) -> VerificationFailure? {
        if let failure = IdentityClaims.checkIssuer(token, policy: policy) { return failure }
        guard let algorithm = token.header.alg else {
            return VerificationFailure(.algorithmUnknown(token.header.algName))
        }
        guard allowedMask & (1 << UInt32(algorithm.ordinal)) != 0 else {
            return VerificationFailure(.algorithmNotAllowed(algorithm))
        }
        if let failure = checkSignature(token, algorithm: algorithm) { return failure }
        if let failure = TimeClaims.check(token, policy: policy, now: now) { return failure }
        if let failure = IdentityClaims.checkSubject(token, policy: policy) { return failure }
        return IdentityClaims.checkAudience(token, policy: policy)
    }

    /// Key selection and signature. With a kid: that key only (an unknown kid is
    /// `unknownKey`; a key that does not allow the algorithm, by family, curve or its own
    /// `alg`, is `unsupportedAlgorithm`). Without: the keys whose family and curve fit.
    private func checkSignature(_ token: JWSToken, algorithm: JWSAlgorithm) -> VerificationFailure? {
        if let kid = token.header.kid {
            guard let key = keys.key(kid: kid) else { return VerificationFailure(.unknownKid(kid)) }
            guard key.allows(algorithm) else { return VerificationFailure(.algorithmForbiddenByKey(algorithm, kid: kid)) }
            let valid = token.withSignatureParts { input, signature in
                key.verify(signature: signature, input: input, algorithm: algorithm)
            }
            return valid ? nil : VerificationFailure(.badSignature(algorithm))
        }
        let candidates = keys.compatibleKeys(for: algorithm)
        guard !candidates.isEmpty else { return VerificationFailure(.noKeyForAlgorithm(algorithm)) }
        var anyAllowed = false
        let valid = token.withSignatureParts { input, signature in
            for key in candidates where key.allows(algorithm) {
                anyAllowed = true
                if key.verify(signature: signature, input: input, algorithm: algorithm) { return true }
            }
            return false
        }
        if valid { return nil }
        if !anyAllowed { return VerificationFailure(.algorithmForbiddenByKey(algorithm, kid: nil)) }
        return VerificationFailure(.badSignature(algorithm))
    }
}

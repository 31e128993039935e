/// The NumericDate claims `exp`, `nbf`, `iat` (RFC 7519 §4.1.4-6) and the lifetime bound.
///
/// With skew s: expired when now ≥ exp + s; not yet valid when now < nbf − s; issued in
/// the future when iat > now + s; lifetime exceeded when exp − iat > maxLifetime.
enum TimeClaims {
    /// A NumericDate member (at `index` of the token's claims, -1 when absent): absent, a
    /// finite number, or malformed (strings, `1e400`, ...). Read in place.
    static func numericDate(_ name: JSONMemberName, at index: Int, of token: JWSToken) -> Result<Double?, VerificationFailure> {
        guard index >= 0 else { return .success(nil) }
        guard let seconds = token.finiteNumber(at: index) else { return .failure(.malformed(.claimNotNumber(name.text))) }
        return .success(seconds)
    }

    static func check(_ token: JWSToken, policy: TokenPolicy, now: Double) -> VerificationFailure? {
        let skew = policy.clockSkew
        let claims = token.registered
        let exp: Double?
        switch numericDate(.exp, at: claims.exp, of: token) {
        case .failure(let failure): return failure
        case .success(let value): exp = value
        }
        if let exp {
            if now >= exp + skew { return VerificationFailure(.expired(exp: exp, now: now, skew: skew)) }
        } else if policy.requireExpiration {
            return .malformed(.missingExpiration)
        }

        switch numericDate(.nbf, at: claims.nbf, of: token) {
        case .failure(let failure): return failure
        case .success(let nbf):
            if let nbf, now < nbf - skew { return VerificationFailure(.notYetValid(nbf: nbf, now: now, skew: skew)) }
        }

        let iat: Double?
        switch numericDate(.iat, at: claims.iat, of: token) {
        case .failure(let failure): return failure
        case .success(let value): iat = value
        }
        if let iat, iat > now + skew { return VerificationFailure(.issuedInFuture(iat: iat, now: now, skew: skew)) }

        if let limit = policy.maxLifetime {
            guard let iat else { return .malformed(.missingIssuedAt) }
            guard let exp else { return VerificationFailure(.lifetimeExceeded(lifetime: nil, limit: limit)) }
            if exp - iat > limit { return VerificationFailure(.lifetimeExceeded(lifetime: exp - iat, limit: limit)) }
        }
        return nil
    }
}

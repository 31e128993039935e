/// Human messages for failures, built only on demand.
extension VerificationFailure {
    /// A lowercase, period-free explanation with user input in backticks.
    public var message: String {
        switch detail {
        case .malformed(let reason): return Self.message(for: reason)
        case .tooLarge(let size, let limit): return "the token is \(size) bytes; the limit is \(limit)"
        case .algorithmNone(let name): return "`alg` is `\(name)`: unsigned tokens are never accepted"
        case .algorithmUnknown(let name): return "`alg` `\(name)` is not a supported algorithm"
        case .algorithmNotAllowed(let alg): return "`alg` `\(alg.rawValue)` is not in the allowed algorithms"
        case .algorithmForbiddenByKey(let alg, let kid):
            return "the key\(kid.map { " `\($0)`" } ?? "") is pinned to another algorithm than `\(alg.rawValue)`"
        case .unknownKid(let kid): return "no key has the kid `\(Self.clip(kid))`"
        case .noKeyForAlgorithm(let alg): return "no key can verify `\(alg.rawValue)`"
        case .badSignature(let alg): return "the `\(alg.rawValue)` signature does not verify"
        case .expired(let exp, let now, let skew):
            return "the token expired at \(TimeText.describe(exp)) (now \(TimeText.describe(now)), skew \(TimeText.number(skew))s)"
        case .notYetValid(let nbf, let now, let skew):
            return "the token is not valid before \(TimeText.describe(nbf)) (now \(TimeText.describe(now)), skew \(TimeText.number(skew))s)"
        case .issuedInFuture(let iat, let now, let skew):
            return "the token is issued at \(TimeText.describe(iat)), in the future (now \(TimeText.describe(now)), skew \(TimeText.number(skew))s)"
        case .lifetimeExceeded(let lifetime, let limit):
            if let lifetime { return "the token lives \(TimeText.number(lifetime))s (`exp` - `iat`); the limit is \(TimeText.number(limit))s" }
            return "the token has no `exp`, so its lifetime exceeds the limit of \(TimeText.number(limit))s"
        case .issuerMismatch(let found, let expected):
            return found.map { "the issuer `\(Self.clip($0))` is not `\(expected)`" } ?? "the token has no string `iss`; expected `\(expected)`"
        case .subjectMismatch(let found, let expected):
            return found.map { "the subject `\(Self.clip($0))` is not `\(expected)`" } ?? "the token has no string `sub`; expected `\(expected)`"
        case .audienceMismatch: return "no audience in `aud` is accepted"
        }
    }

    /// Attacker-controlled text is shortened in messages.
    static func clip(_ text: String) -> String {
        text.utf8.count <= 64 ? text : String(text.prefix(60)) + "…"
    }

    static func message(for reason: MalformedReason) -> String {
        switch reason {
        case .segmentCount(let count): return "a compact JWS has 3 segments, this token has \(count)"
        case .jwe: return "the token has 5 segments: it is an encrypted JWE, not a signed JWS"
        case .base64url(let segment, let error): return "the \(segment.rawValue) is not valid base64url: \(error.message)"
        case .json(let segment, let error): return "the \(segment.rawValue) is not valid JSON: \(error.message)"
        case .notAnObject(let segment): return "the \(segment.rawValue) must be a JSON object"
        case .missingAlgorithm: return "the header has no `alg`"
        case .headerMemberType(let name): return "the header member `\(name)` has the wrong type"
        case .critical: return "the header has `crit`; no critical extension is supported"
        case .unencodedPayload: return "the header has `b64`: `false`; unencoded payloads are not supported"
        case .missingExpiration: return "the token has no `exp`"
        case .missingIssuedAt: return "the token has no `iat`, needed to check its maximum lifetime"
        case .claimNotNumber(let name): return "`\(name)` must be a finite JSON number"
        }
    }
}

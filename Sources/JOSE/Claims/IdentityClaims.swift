/// The string claims `iss`, `sub` and `aud` (RFC 7519 §4.1.1-3), compared exactly: by
/// bytes, never by Unicode canonical equivalence (`é` and `e` + U+0301 differ).
enum IdentityClaims {
    static func same(_ a: String?, _ b: String) -> Bool {
        guard let a else { return false }
        return UTF8Bytes.equal(a, b)
    }

    /// `iss` must be a string equal to the configured issuer.
    static func checkIssuer(_ token: JWSToken, policy: TokenPolicy) -> VerificationFailure? {
        if same(token.issuer, policy.issuer) { return nil }
        return VerificationFailure(.issuerMismatch(found: token.issuer, expected: policy.issuer))
    }

    /// When a subject is configured, `sub` must be a string equal to it.
    static func checkSubject(_ payload: JSONValue, policy: TokenPolicy) -> VerificationFailure? {
        guard let expected = policy.subject else { return nil }
        let found = payload[member: .sub]?.stringValue
        if same(found, expected) { return nil }
        return VerificationFailure(.subjectMismatch(found: found, expected: expected))
    }

    /// When audiences are configured, `aud` (a string or an array of strings) must name one.
    static func checkAudience(_ payload: JSONValue, policy: TokenPolicy) -> VerificationFailure? {
        guard !policy.audiences.isEmpty else { return nil }
        switch payload[member: .aud] {
        case .string(let audience, _)?:
            if policy.audiences.contains(where: { same(audience, $0) }) { return nil }
        case .array(let elements, _)?:
            for element in elements {
                if case .string(let audience, _) = element, policy.audiences.contains(where: { same(audience, $0) }) { return nil }
            }
        default:
            break
        }
        return VerificationFailure(.audienceMismatch)
    }
}

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
    static func checkSubject(_ members: [JSONMember], _ claims: RegisteredClaims, policy: TokenPolicy) -> VerificationFailure? {
        guard let expected = policy.subject else { return nil }
        var found: String?
        if claims.sub >= 0, case .string(let text, _) = members[claims.sub].value { found = text }
        if same(found, expected) { return nil }
        return VerificationFailure(.subjectMismatch(found: found, expected: expected))
    }

    /// When audiences are configured, `aud` (a string or an array of strings) must name one.
    static func checkAudience(_ members: [JSONMember], _ claims: RegisteredClaims, policy: TokenPolicy) -> VerificationFailure? {
        guard !policy.audiences.isEmpty else { return nil }
        guard claims.aud >= 0 else { return VerificationFailure(.audienceMismatch) }
        switch members[claims.aud].value {
        case .string(let audience, _):
            if policy.audiences.contains(where: { same(audience, $0) }) { return nil }
        case .array(let elements, _):
            for index in elements.indices {
                if case .string(let audience, _) = elements[index], policy.audiences.contains(where: { same(audience, $0) }) { return nil }
            }
        default:
            break
        }
        return VerificationFailure(.audienceMismatch)
    }
}

/// Where the registered claims a verifier checks (`exp`, `nbf`, `iat`, `sub`, `aud`) are
/// among a payload's members (-1: absent), found in one scan of the member keys: the
/// checks then read those members in place instead of looking each one up and copying it.
struct RegisteredClaims: Sendable {
    var exp = -1, nbf = -1, iat = -1, sub = -1, aud = -1

    init(_ members: [JSONMember]) {
        // Three-byte names: the key is the whole name, so equal keys are equal names.
        let expKey = JSONMemberName.exp.key, nbfKey = JSONMemberName.nbf.key, iatKey = JSONMemberName.iat.key
        let subKey = JSONMemberName.sub.key, audKey = JSONMemberName.aud.key
        var index = 0
        while index < members.count {
            switch members[index].nameKey {
            case expKey: exp = index
            case nbfKey: nbf = index
            case iatKey: iat = index
            case subKey: sub = index
            case audKey: aud = index
            default: break
            }
            index += 1
        }
    }
}

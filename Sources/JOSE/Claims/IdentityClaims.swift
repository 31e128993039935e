/// The string claims `iss`, `sub` and `aud` (RFC 7519 §4.1.1-3), compared exactly: by
/// bytes, never by Unicode canonical equivalence (`é` and `e` + U+0301 differ).
enum IdentityClaims {
    static func same(_ a: String?, _ b: String) -> Bool {
        guard let a else { return false }
        return UTF8Bytes.equal(a, b)
    }

    /// `iss` must be a string equal to the configured issuer.
    static func checkIssuer(_ token: JWSToken, policy: TokenPolicy) -> VerificationFailure? {
        let index = token.registered.iss
        if index >= 0, token.stringClaim(at: index, equals: policy.issuer) { return nil }
        return VerificationFailure(.issuerMismatch(found: token.issuer, expected: policy.issuer))
    }

    /// When a subject is configured, `sub` must be a string equal to it.
    static func checkSubject(_ token: JWSToken, policy: TokenPolicy) -> VerificationFailure? {
        guard let expected = policy.subject else { return nil }
        let index = token.registered.sub
        if index >= 0, token.stringClaim(at: index, equals: expected) { return nil }
        let found = index >= 0 ? token.claimValue(at: index).stringValue : nil
        return VerificationFailure(.subjectMismatch(found: found, expected: expected))
    }

    /// When audiences are configured, `aud` (a string or an array of strings) must name one.
    static func checkAudience(_ token: JWSToken, policy: TokenPolicy) -> VerificationFailure? {
        guard !policy.audiences.isEmpty else { return nil }
        let index = token.registered.aud
        guard index >= 0 else { return VerificationFailure(.audienceMismatch) }
        let named: Bool
        if let inPlace = token.withClaimText(at: index, { names(policy.audiences, inPlace: $0) }) {
            named = inPlace
        } else {
            named = names(policy.audiences, token.claimValue(at: index))
        }
        return named ? nil : VerificationFailure(.audienceMismatch)
    }

    /// Whether `aud` (built) is, or is an array holding, a string among `audiences`.
    private static func names(_ audiences: [String], _ aud: JSONValue) -> Bool {
        switch aud {
        case .string(let audience, _):
            return audiences.contains { same(audience, $0) }
        case .array(let elements, _):
            for index in elements.indices {
                if case .string(let audience, _) = elements[index], audiences.contains(where: { same(audience, $0) }) { return true }
            }
            return false
        default:
            return false
        }
    }

    /// ``names(_:_:)`` on the validated JSON text of `aud`, when it is a string or an array
    /// of strings with no backslash in it (so each string's bytes are its value); nil
    /// for anything else, which is built and read by ``names(_:_:)``.
    static func names(_ audiences: [String], inPlace text: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let first = text.first, first == UInt8(ascii: "\"") || first == UInt8(ascii: "["), JWSToken.isPlain(text) else { return nil }
        func named(_ content: UnsafeBufferPointer<UInt8>) -> Bool {
            audiences.contains { UTF8Bytes.equal(content, $0) }
        }
        if first == UInt8(ascii: "\"") { return named(UnsafeBufferPointer(rebasing: text[1..<(text.count - 1)])) }
        // `[ "a" , "b" ]`: validated, and with no backslash each string ends at the next quote.
        var position = 1
        func skipWhitespace() {
            while position < text.count, text[position] == 0x20 || text[position] == 0x09 || text[position] == 0x0A || text[position] == 0x0D {
                position += 1
            }
        }
        while true {
            skipWhitespace()
            guard position < text.count else { return nil }
            switch text[position] {
            case UInt8(ascii: "]"):
                return false
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "\""):
                var end = position + 1
                while end < text.count, text[end] != UInt8(ascii: "\"") { end += 1 }
                guard end < text.count else { return nil }
                if named(UnsafeBufferPointer(rebasing: text[(position + 1)..<end])) { return true }
                position = end + 1
            default:
                // Another type of element (which may hold strings): built instead.
                return nil
            }
        }
    }
}

/// Where the registered claims a verifier checks (`iss`, `exp`, `nbf`, `iat`, `sub`,
/// `aud`) are among a payload's members (-1: absent), found in one scan of the member
/// keys: the checks then read those members in place instead of looking each one up.
struct RegisteredClaims: Sendable {
    var iss = -1, exp = -1, nbf = -1, iat = -1, sub = -1, aud = -1

    init(_ members: [JSONMember]) {
        // Three-byte names: the key is the whole name, so equal keys are equal names.
        let expKey = JSONMemberName.exp.key, nbfKey = JSONMemberName.nbf.key, iatKey = JSONMemberName.iat.key
        let subKey = JSONMemberName.sub.key, audKey = JSONMemberName.aud.key, issKey = JSONMemberName.iss.key
        var index = 0
        while index < members.count {
            switch members[index].nameKey {
            case expKey: exp = index
            case nbfKey: nbf = index
            case iatKey: iat = index
            case subKey: sub = index
            case audKey: aud = index
            case issKey: iss = index
            default: break
            }
            index += 1
        }
    }
}

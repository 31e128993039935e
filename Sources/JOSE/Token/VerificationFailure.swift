/// Why a token was rejected: a stable code plus the facts needed to explain it.
///
/// Equality compares codes only. The human ``message`` is built only when asked for,
/// so the hot path never formats strings.
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The twelve rejection classes; `rawValue` is stable camelCase.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case malformed, tooLarge, unsupportedAlgorithm, unknownKey, badSignature
        case expired, notYetValid, issuedInFuture, lifetimeExceeded
        case issuerMismatch, subjectMismatch, audienceMismatch
    }

    /// The three compact JWS segments.
    public enum Segment: String, Sendable, Hashable {
        case header, payload, signature
    }

    /// What exactly is malformed.
    public enum MalformedReason: Sendable, Hashable {
        /// Not three segments.
        case segmentCount(Int)
        /// Five segments: a compact JWE, which this verifier never decrypts.
        case jwe
        case base64url(Segment, Base64URLError)
        case json(Segment, JSONParseError)
        case notAnObject(Segment)
        case missingAlgorithm
        /// `alg`, `kid`, `typ` or `b64` of the wrong JSON type.
        case headerMemberType(String)
        /// A `crit` header: no extension is implemented, so none may be critical.
        case critical
        /// `b64: false` (RFC 7797 unencoded payload).
        case unencodedPayload
        case missingExpiration
        /// `iat` is needed because a maximum lifetime is configured.
        case missingIssuedAt
        /// A NumericDate claim that is not a finite JSON number.
        case claimNotNumber(String)
    }

    /// The facts behind the failure.
    public enum Detail: Sendable, Hashable {
        case malformed(MalformedReason)
        case tooLarge(size: Int, limit: Int)
        case algorithmNone(String)
        case algorithmUnknown(String)
        case algorithmNotAllowed(JWSAlgorithm)
        case algorithmForbiddenByKey(JWSAlgorithm, kid: String?)
        case unknownKid(String)
        case noKeyForAlgorithm(JWSAlgorithm)
        case badSignature(JWSAlgorithm)
        case expired(exp: Double, now: Double, skew: Double)
        case notYetValid(nbf: Double, now: Double, skew: Double)
        case issuedInFuture(iat: Double, now: Double, skew: Double)
        case lifetimeExceeded(lifetime: Double?, limit: Double)
        case issuerMismatch(found: String?, expected: String)
        case subjectMismatch(found: String?, expected: String)
        case audienceMismatch
    }

    /// The rejection class.
    public let code: Code
    /// The facts behind it.
    public let detail: Detail

    /// Creates a failure; the code follows from the detail.
    public init(_ detail: Detail) {
        self.detail = detail
        switch detail {
        case .malformed: code = .malformed
        case .tooLarge: code = .tooLarge
        case .algorithmNone, .algorithmUnknown, .algorithmNotAllowed, .algorithmForbiddenByKey: code = .unsupportedAlgorithm
        case .unknownKid, .noKeyForAlgorithm: code = .unknownKey
        case .badSignature: code = .badSignature
        case .expired: code = .expired
        case .notYetValid: code = .notYetValid
        case .issuedInFuture: code = .issuedInFuture
        case .lifetimeExceeded: code = .lifetimeExceeded
        case .issuerMismatch: code = .issuerMismatch
        case .subjectMismatch: code = .subjectMismatch
        case .audienceMismatch: code = .audienceMismatch
        }
    }

    static func malformed(_ reason: MalformedReason) -> VerificationFailure { VerificationFailure(.malformed(reason)) }

    /// The malformation sub-reason, when the code is `malformed`.
    public var malformedReason: MalformedReason? {
        if case .malformed(let reason) = detail { return reason }
        return nil
    }

    public static func == (lhs: VerificationFailure, rhs: VerificationFailure) -> Bool { lhs.code == rhs.code }

    public var description: String { "\(code.rawValue): \(message)" }
}

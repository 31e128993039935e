/// The JWS signature algorithms this module verifies (RFC 7518 §3, RFC 8037 §3.1).
/// `none` is deliberately absent.
public enum JWSAlgorithm: String, Sendable, CaseIterable, Hashable {
    case HS256, HS384, HS512
    case RS256, RS384, RS512
    case PS256, PS384, PS512
    case ES256, ES384, ES512
    case EdDSA

    /// The algorithm families, each tied to one key type.
    public enum Family: String, Sendable, Hashable {
        /// HMAC with SHA-2, on `oct` keys.
        case hmac
        /// RSASSA-PKCS1-v1_5, on `RSA` keys.
        case rsaPKCS1
        /// RSASSA-PSS, on `RSA` keys.
        case rsaPSS
        /// ECDSA, on `EC` keys of the matching curve.
        case ecdsa
        /// EdDSA, on `OKP` keys (Ed25519 or Ed448).
        case eddsa
    }

    /// The algorithm's family.
    public var family: Family {
        switch self {
        case .HS256, .HS384, .HS512: return .hmac
        case .RS256, .RS384, .RS512: return .rsaPKCS1
        case .PS256, .PS384, .PS512: return .rsaPSS
        case .ES256, .ES384, .ES512: return .ecdsa
        case .EdDSA: return .eddsa
        }
    }

    /// The SHA-2 output length in bytes (`nil` for EdDSA, whose hash is fixed by the curve).
    public var hashLength: Int? {
        switch self {
        case .HS256, .RS256, .PS256, .ES256: return 32
        case .HS384, .RS384, .PS384, .ES384: return 48
        case .HS512, .RS512, .PS512, .ES512: return 64
        case .EdDSA: return nil
        }
    }

    /// The only curve an ECDSA algorithm may use (ES256 ↔ P-256 and so on).
    public var requiredCurve: ECCurve? {
        switch self {
        case .ES256: return .p256
        case .ES384: return .p384
        case .ES512: return .p521
        default: return nil
        }
    }

    /// Whether a key of `kind` can verify this algorithm at all (family and curve).
    public func isCompatible(with kind: JWK.Kind) -> Bool {
        switch (family, kind) {
        case (.hmac, .oct), (.rsaPKCS1, .rsa), (.rsaPSS, .rsa), (.eddsa, .okp): return true
        case (.ecdsa, .ec(let curve)): return curve == requiredCurve
        default: return false
        }
    }

    /// Parses an `alg` value exactly (case-sensitive, as RFC 7515 requires).
    public init?(name: some StringProtocol) {
        self.init(rawValue: String(name))
    }

    /// Whether `name` is `none` in any letter case.
    public static func isNone(_ name: some StringProtocol) -> Bool {
        name.utf8.count == 4 && name.lowercased() == "none"
    }
}

/// The NIST curves used by ECDSA JWS algorithms.
public enum ECCurve: String, Sendable, Hashable, CaseIterable {
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"

    /// The length of one coordinate, and of r and s in a JWS signature, in bytes.
    public var coordinateLength: Int {
        switch self {
        case .p256: return 32
        case .p384: return 48
        case .p521: return 66
        }
    }

    /// The ECDSA algorithm that uses this curve.
    public var algorithm: JWSAlgorithm {
        switch self {
        case .p256: return .ES256
        case .p384: return .ES384
        case .p521: return .ES512
        }
    }
}

/// The Edwards curves used by the EdDSA JWS algorithm (RFC 8037).
public enum OKPCurve: String, Sendable, Hashable, CaseIterable {
    case ed25519 = "Ed25519"
    case ed448 = "Ed448"

    /// The public key length in bytes.
    public var publicKeyLength: Int {
        switch self {
        case .ed25519: return 32
        case .ed448: return 57
        }
    }

    /// The signature length in bytes.
    public var signatureLength: Int { publicKeyLength * 2 }
}

extension JWSAlgorithm {
    /// A dense index for per-algorithm tables (0 ..< allCases.count).
    var ordinal: Int {
        switch self {
        case .HS256: return 0
        case .HS384: return 1
        case .HS512: return 2
        case .RS256: return 3
        case .RS384: return 4
        case .RS512: return 5
        case .PS256: return 6
        case .PS384: return 7
        case .PS512: return 8
        case .ES256: return 9
        case .ES384: return 10
        case .ES512: return 11
        case .EdDSA: return 12
        }
    }
}

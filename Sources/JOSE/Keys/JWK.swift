/// A validated public verification key (or HMAC secret) in the form the compiler stores.
///
/// Equal keys have equal material, kid and alg. The OpenSSL object is made separately,
/// once, by ``VerificationKey``.
public struct JWK: Sendable, Hashable {
    /// The key type and, where it matters, its curve.
    public enum Kind: Sendable, Hashable {
        case rsa
        case ec(ECCurve)
        case okp(OKPCurve)
        case oct

        /// The JWK `kty` value.
        public var kty: String {
            switch self {
            case .rsa: return "RSA"
            case .ec: return "EC"
            case .okp: return "OKP"
            case .oct: return "oct"
            }
        }

        /// A short description for messages, such as `an EC key on P-384`.
        public var summary: String {
            switch self {
            case .rsa: return "an RSA key"
            case .ec(let curve): return "an EC key on \(curve.rawValue)"
            case .okp(let curve): return "an OKP key on \(curve.rawValue)"
            case .oct: return "an oct (HMAC) key"
            }
        }
    }

    /// The key type and curve.
    public let kind: Kind
    /// The key id, if the key has one.
    public let kid: String?
    /// The key's own `alg`, pinning it to one algorithm.
    public let alg: JWSAlgorithm?
    /// The RFC 7638 thumbprint (base64url of SHA-256).
    public let thumbprint: String
    /// DER SubjectPublicKeyInfo, or the raw secret for `oct` keys.
    public let keyMaterial: [UInt8]
    /// The RSA modulus size in bits (`nil` for other kinds).
    public let modulusBits: Int?

    init(components: PublicKeyComponents, kid: String?, alg: JWSAlgorithm?) {
        self.kind = components.kind
        self.kid = kid
        self.alg = alg
        self.thumbprint = components.thumbprint
        self.keyMaterial = components.keyMaterial
        self.modulusBits = components.modulusBits
    }

    /// Rebuilds a key from stored DER SubjectPublicKeyInfo; kind and curve come from the DER.
    public init(derSPKI: [UInt8], kid: String?, alg: JWSAlgorithm?) throws(KeyLoadError) {
        let key = try OpenSSLPublicKey(der: derSPKI)
        try self.init(loaded: key, kid: kid, alg: alg)
    }

    init(loaded key: OpenSSLPublicKey, kid: String?, alg: JWSAlgorithm?) throws(KeyLoadError) {
        let components = try key.components()
        if let alg, !alg.isCompatible(with: components.kind) {
            throw KeyLoadError("key.alg.mismatch", "`alg` `\(alg.rawValue)` cannot be used with \(components.kind.summary)")
        }
        self.init(components: components, kid: kid, alg: alg)
    }

    /// Makes an HMAC key from its raw secret.
    public init(hmacSecret: [UInt8], kid: String?, alg: JWSAlgorithm?) {
        self.init(components: .oct(k: hmacSecret), kid: kid, alg: alg)
    }

    /// Whether a token signed with `algorithm` may be verified with this key: the family
    /// and curve must match, the key's own `alg` (if any) must equal it, and an HMAC secret
    /// must be at least as long as the hash (RFC 7518 §3.2).
    public func allows(_ algorithm: JWSAlgorithm) -> Bool {
        guard algorithm.isCompatible(with: kind) else { return false }
        if let alg, alg != algorithm { return false }
        if case .oct = kind, let length = algorithm.hashLength, keyMaterial.count < length { return false }
        return true
    }
}

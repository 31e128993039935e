/// The loaded verification keys of one policy, indexed for per-token selection.
///
/// A token with a `kid` gets exactly the key with that kid or none (never a fallback);
/// a token without one is tried only against keys whose family and curve fit its `alg`.
public struct KeySet: Sendable {
    /// The keys, in set order.
    public let keys: [VerificationKey]
    private let indexByKid: [String: Int]
    /// For each algorithm (by ordinal), the keys whose family and curve fit it.
    private let compatibleByAlgorithm: [[VerificationKey]]

    /// Indexes loaded keys; two keys with the same kid are an error.
    public init(_ keys: [VerificationKey]) throws(KeyLoadError) {
        var index: [String: Int] = [:]
        for (position, key) in keys.enumerated() {
            guard let kid = key.kid else { continue }
            if index[kid] != nil {
                throw KeyLoadError("keyset.kid.duplicate", "two keys have the kid `\(kid)`")
            }
            index[kid] = position
        }
        self.keys = keys
        self.indexByKid = index
        self.compatibleByAlgorithm = JWSAlgorithm.allCases.map { algorithm in
            keys.filter { algorithm.isCompatible(with: $0.jwk.kind) }
        }
    }

    /// Loads validated JWKs into OpenSSL, once each.
    public init(jwks: [JWK]) throws(KeyLoadError) {
        var loaded: [VerificationKey] = []
        loaded.reserveCapacity(jwks.count)
        for jwk in jwks { loaded.append(try VerificationKey(jwk)) }
        try self.init(loaded)
    }

    /// The key with this kid, if any.
    public func key(kid: String) -> VerificationKey? {
        indexByKid[kid].map { keys[$0] }
    }

    /// The keys whose family and curve fit `algorithm` (their own `alg` not yet considered).
    public func compatibleKeys(for algorithm: JWSAlgorithm) -> [VerificationKey] {
        compatibleByAlgorithm[algorithm.ordinal]
    }

    /// Whether the set holds no key.
    public var isEmpty: Bool { keys.isEmpty }
}

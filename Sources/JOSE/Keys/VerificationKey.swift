import COpenSSL

/// A key ready to verify signatures: the OpenSSL `EVP_PKEY` (or HMAC secret) is built
/// once, when the key set is loaded, and shared by every verification on every thread.
public final class VerificationKey: Sendable {
    /// The key's description: kind, kid, own alg, thumbprint and stored material.
    public let jwk: JWK
    private let publicKey: OpenSSLPublicKey?
    private let hmac: HMACTemplate?
    /// Initialised `EVP_DigestVerify` contexts by algorithm ordinal, for the algorithms the key allows.
    private let digestTemplates: [DigestVerifyTemplate?]

    /// Loads a validated key into OpenSSL.
    public init(_ jwk: JWK) throws(KeyLoadError) {
        self.jwk = jwk
        if case .oct = jwk.kind {
            self.publicKey = nil
            self.hmac = HMACTemplate(secret: jwk.keyMaterial)
            self.digestTemplates = []
        } else {
            let key = try OpenSSLPublicKey(der: jwk.keyMaterial)
            self.publicKey = key
            self.hmac = nil
            self.digestTemplates = Self.templates(for: key, jwk: jwk)
        }
    }

    /// Loads stored DER SubjectPublicKeyInfo with a single `d2i_PUBKEY`.
    public init(derSPKI: [UInt8], kid: String?, alg: JWSAlgorithm?) throws(KeyLoadError) {
        let key = try OpenSSLPublicKey(der: derSPKI)
        self.jwk = try JWK(loaded: key, kid: kid, alg: alg)
        self.publicKey = key
        self.hmac = nil
        self.digestTemplates = Self.templates(for: key, jwk: jwk)
    }

    /// One initialised context per asymmetric algorithm the key allows.
    private static func templates(for key: OpenSSLPublicKey, jwk: JWK) -> [DigestVerifyTemplate?] {
        JWSAlgorithm.allCases.map { algorithm in
            guard algorithm.family != .hmac, jwk.allows(algorithm) else { return nil }
            return DigestVerifyTemplate(
                key: key.pkey, digest: Digests.digest(for: algorithm), pss: algorithm.family == .rsaPSS)
        }
    }

    /// The key id, if any.
    public var kid: String? { jwk.kid }

    /// Whether `algorithm` may be used with this key (see ``JWK/allows(_:)``).
    public func allows(_ algorithm: JWSAlgorithm) -> Bool { jwk.allows(algorithm) }

    /// Verifies a JWS signature over `signingInput` (the ASCII `header.payload`).
    /// Returns false when the algorithm is not allowed for this key.
    public func isValidSignature(_ signature: [UInt8], signingInput: [UInt8], algorithm: JWSAlgorithm) -> Bool {
        signature.withUnsafeBufferPointer { signature in
            signingInput.withUnsafeBufferPointer { input in
                verify(signature: signature, input: input, algorithm: algorithm)
            }
        }
    }

    /// The hot path: no allocation beyond OpenSSL's own.
    func verify(signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>, algorithm: JWSAlgorithm) -> Bool {
        guard jwk.allows(algorithm) else { return false }
        switch (algorithm.family, jwk.kind) {
        case (.hmac, .oct):
            guard let hmac, let length = algorithm.hashLength else { return false }
            return hmac.verify(hashLength: length, signature: signature, input: input)
        case (.rsaPKCS1, .rsa), (.rsaPSS, .rsa):
            guard let publicKey, signature.count == ((jwk.modulusBits ?? 0) + 7) / 8
            else { return false }
            return digestVerify(publicKey, algorithm: algorithm, signature: signature, input: input)
        case (.ecdsa, .ec(let curve)):
            guard let publicKey else { return false }
            return ECDSASignature.verify(curve: curve, signature: signature) { der in
                digestVerify(publicKey, algorithm: algorithm, signature: der, input: input)
            }
        case (.eddsa, .okp(let curve)):
            guard let publicKey, signature.count == curve.signatureLength,
                  EdDSASignature.hasCanonicalS(signature, curve: curve)
            else { return false }
            return digestVerify(publicKey, algorithm: algorithm, signature: signature, input: input)
        default:
            return false
        }
    }

    /// `EVP_DigestVerify` with a copy of the key's initialised context, or a fresh one.
    private func digestVerify(
        _ publicKey: OpenSSLPublicKey, algorithm: JWSAlgorithm,
        signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        if let template = digestTemplates[algorithm.ordinal] {
            return template.verify(signature: signature, input: input)
        }
        return OpenSSLVerify.digestVerify(
            key: publicKey.pkey, digest: Digests.digest(for: algorithm), pss: algorithm.family == .rsaPSS,
            signature: signature, input: input)
    }
}

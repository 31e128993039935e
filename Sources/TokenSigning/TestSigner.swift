import COpenSSL
public import JOSE

/// A private key made with OpenSSL that signs compact JWS tokens: for `gatepass test`
/// (keys generated for one run), benchmarks and tests. Never used by the runtime.
///
/// Deliberately independent of the verifier's code paths: keys come from `EVP_PKEY_generate`,
/// signatures from `EVP_DigestSign` (ECDSA converted from DER to `r ‖ s` with `ECDSA_SIG`).
public final class TestSigner: @unchecked Sendable {
    /// The key kinds a signer can make.
    public enum KeyType: Sendable, Hashable {
        case hmac(bytes: Int)
        case rsa(bits: Int)
        case ec(ECCurve)
        case okp(OKPCurve)
    }

    /// The algorithm tokens are signed with.
    public let algorithm: JWSAlgorithm
    /// The public half (or the secret) as a JWK with the given kid.
    public let jwk: JWK
    let pkey: OpaquePointer?
    /// The HMAC secret (empty for key pairs).
    public let secret: [UInt8]

    /// Makes a fresh key for `algorithm` (curve from `keyType`).
    public init(algorithm: JWSAlgorithm, keyType: KeyType, kid: String?, pinAlgorithm: Bool = true) {
        self.algorithm = algorithm
        switch keyType {
        case .hmac(let bytes):
            var generator = SystemRandomNumberGenerator()
            let secret = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
            self.secret = secret
            self.pkey = nil
            self.jwk = JWK(hmacSecret: secret, kid: kid, alg: pinAlgorithm ? algorithm : nil)
        default:
            let key = Self.generate(keyType)
            self.pkey = key
            self.secret = []
            self.jwk = try! JWK(derSPKI: Self.publicDER(key), kid: kid, alg: pinAlgorithm ? algorithm : nil)
        }
    }

    deinit { if let pkey { EVP_PKEY_free(pkey) } }

    static func generate(_ type: KeyType) -> OpaquePointer {
        let name: String
        switch type {
        case .rsa: name = "RSA"
        case .ec: name = "EC"
        case .okp(.ed25519): name = "ED25519"
        case .okp(.ed448): name = "ED448"
        case .hmac: fatalError("no key pair for HMAC")
        }
        let context = EVP_PKEY_CTX_new_from_name(nil, name, nil)!
        defer { EVP_PKEY_CTX_free(context) }
        precondition(EVP_PKEY_keygen_init(context) == 1)
        switch type {
        case .rsa(let bits): precondition(EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1)
        case .ec(let curve): precondition(EVP_PKEY_CTX_set_group_name(context, curve.rawValue) == 1)
        default: break
        }
        var key: OpaquePointer? = nil
        precondition(EVP_PKEY_generate(context, &key) == 1)
        return key!
    }

    /// DER SubjectPublicKeyInfo of a key pair.
    public static func publicDER(_ key: OpaquePointer) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(key, &buffer)
        precondition(length > 0)
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }

    /// Signs `header.payload` JSON texts into a compact JWS.
    public func sign(header: String, payload: String) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(signature(over: Array(input.utf8)))
    }

    /// The JWS signature (ECDSA as `r ‖ s`) over `input`.
    public func signature(over input: [UInt8]) -> [UInt8] {
        let native = nativeSignature(over: input)
        guard case .ec(let curve) = jwk.kind else { return native }
        return Self.rawECDSA(native, width: curve.coordinateLength)
    }

    /// The signature in OpenSSL's own format (DER for ECDSA).
    public func nativeSignature(over input: [UInt8]) -> [UInt8] {
        let digest: OpaquePointer? = algorithm == .EdDSA ? nil : Self.digest(algorithm)
        if algorithm.family == .hmac {
            var out = [UInt8](repeating: 0, count: 64)
            var length: UInt32 = 0
            _ = HMAC(digest, secret, Int32(secret.count), input, input.count, &out, &length)
            return Array(out.prefix(Int(length)))
        }
        let context = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil
        precondition(EVP_DigestSignInit(context, &keyContext, digest, nil, pkey) == 1)
        if algorithm.family == .rsaPSS {
            precondition(EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1)
            precondition(EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST) == 1)
        }
        var length = 0
        precondition(EVP_DigestSign(context, nil, &length, input, input.count) == 1)
        var out = [UInt8](repeating: 0, count: length)
        precondition(EVP_DigestSign(context, &out, &length, input, input.count) == 1)
        return Array(out.prefix(length))
    }

    static func digest(_ algorithm: JWSAlgorithm) -> OpaquePointer? {
        switch algorithm.hashLength {
        case 32: return EVP_sha256()
        case 48: return EVP_sha384()
        case 64: return EVP_sha512()
        default: return nil
        }
    }

    static func rawECDSA(_ der: [UInt8], width: Int) -> [UInt8] {
        var cursor: UnsafePointer<UInt8>? = nil
        let signature: OpaquePointer = der.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)!
        }
        defer { ECDSA_SIG_free(signature) }
        var out = [UInt8](repeating: 0, count: 2 * width)
        out.withUnsafeMutableBufferPointer { buffer in
            _ = BN_bn2binpad(ECDSA_SIG_get0_r(signature), buffer.baseAddress, Int32(width))
            _ = BN_bn2binpad(ECDSA_SIG_get0_s(signature), buffer.baseAddress! + width, Int32(width))
        }
        return out
    }
}

extension TestSigner {
    /// HMAC over `input` with an arbitrary secret, for key-confusion tests.
    public func signature(over input: [UInt8], secret: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        _ = HMAC(Self.digest(algorithm), secret, Int32(secret.count), input, input.count, &out, &length)
        return Array(out.prefix(Int(length)))
    }
}

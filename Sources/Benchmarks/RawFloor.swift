import COpenSSL
import JOSE
import TokenSigning

/// The raw OpenSSL cost of one verification: what any JWT library must at least pay.
///
/// Uses a public `EVP_PKEY` parsed once from the same DER, explicitly fetched digests
/// (as the verifier does), one `EVP_MD_CTX` per call, and the signature in OpenSSL's own
/// format (DER for ECDSA), so no JOSE work at all is included.
final class RawFloor: @unchecked Sendable {
    let algorithm: JWSAlgorithm
    let pkey: OpaquePointer?
    let secret: [UInt8]
    let digest: OpaquePointer?

    init(signer: TestSigner, algorithm: JWSAlgorithm) {
        self.algorithm = algorithm
        switch algorithm.hashLength {
        case 32: digest = EVP_MD_fetch(nil, "SHA2-256", nil)
        case 48: digest = EVP_MD_fetch(nil, "SHA2-384", nil)
        case 64: digest = EVP_MD_fetch(nil, "SHA2-512", nil)
        default: digest = nil
        }
        if algorithm.family == .hmac {
            secret = signer.secret
            pkey = nil
        } else {
            secret = []
            let der = signer.jwk.keyMaterial
            pkey = der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_PUBKEY(nil, &cursor, buffer.count)
            }
        }
    }

    deinit {
        if let pkey { EVP_PKEY_free(pkey) }
        if let digest { EVP_MD_free(digest) }
    }

    func verify(signature: [UInt8], input: [UInt8]) -> Bool {
        if algorithm.family == .hmac {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { mac in
                var length: UInt32 = 0
                _ = HMAC(digest, secret, Int32(secret.count), input, input.count, mac.baseAddress, &length)
                return Int(length) == signature.count && CRYPTO_memcmp(mac.baseAddress, signature, signature.count) == 0
            }
        }
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil
        guard EVP_DigestVerifyInit(context, &keyContext, digest, nil, pkey) == 1 else { return false }
        if algorithm.family == .rsaPSS {
            _ = EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING)
            _ = EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST)
            _ = EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, digest)
        }
        return EVP_DigestVerify(context, signature, signature.count, input, input.count) == 1
    }
}

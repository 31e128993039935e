import COpenSSL

/// `EVP_DigestVerify` contexts initialised once per key and algorithm; each verification
/// copies one.
///
/// `EVP_DigestVerifyInit` looks up the key manager and signature implementation by name
/// on every call (about 25,000 instructions, more than the whole JOSE parse); copying an
/// initialised context (`EVP_MD_CTX_copy_ex`, which duplicates the `EVP_PKEY_CTX` with its
/// padding, salt length and MGF1 digest) skips that search. `@unchecked Sendable`: the
/// templates are never updated after `init`, and copying only reads its source; each
/// copy belongs to one call on one thread.
final class DigestVerifyTemplate: @unchecked Sendable {
    private let context: OpaquePointer

    /// Initialises a context for `key` with `digest` (nil for EdDSA), PSS padding when
    /// `pss`; nil when OpenSSL refuses, so the caller falls back to a fresh init.
    init?(key: OpaquePointer, digest: OpaquePointer?, pss: Bool) {
        guard let context = EVP_MD_CTX_new() else { return nil }
        guard OpenSSLVerify.initialise(context, key: key, digest: digest, pss: pss) else {
            EVP_MD_CTX_free(context)
            return nil
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Verifies with a private copy of the template; false on any OpenSSL failure.
    func verify(signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let copy = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(copy) }
        guard EVP_MD_CTX_copy_ex(copy, context) == 1 else {
            ERR_clear_error()
            return false
        }
        // The copy is used once: let the final step work on it instead of on another duplicate.
        EVP_MD_CTX_set_flags(copy, EVP_MD_CTX_FLAG_FINALISE)
        let result = EVP_DigestVerify(copy, signature.baseAddress, signature.count, input.baseAddress, input.count)
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}

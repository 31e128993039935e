import COpenSSL

/// HMAC contexts keyed once per secret and hash; each verification duplicates one.
///
/// Duplicating a keyed `EVP_MAC_CTX` skips both the provider fetch that one-shot `HMAC()`
/// performs on every call in OpenSSL 3 and the key schedule (the ipad/opad blocks).
/// `@unchecked Sendable`: the templates are never updated after `init`; `EVP_MAC_CTX_dup`
/// only reads its source.
final class HMACTemplate: @unchecked Sendable {
    nonisolated(unsafe) static let mac: OpaquePointer? = EVP_MAC_fetch(nil, "HMAC", nil)

    /// Keyed contexts for SHA-256, SHA-384 and SHA-512 (nil when the secret is too short).
    private let contexts: [OpaquePointer?]

    init(secret: [UInt8]) {
        contexts = [("SHA2-256", 32), ("SHA2-384", 48), ("SHA2-512", 64)].map { name, length in
            guard secret.count >= length, let mac = Self.mac, let context = EVP_MAC_CTX_new(mac) else { return nil }
            let ok = name.withCString { digestName -> Bool in
                var params = [
                    OSSL_PARAM_construct_utf8_string("digest", UnsafeMutablePointer(mutating: digestName), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return secret.withUnsafeBufferPointer { key in
                    EVP_MAC_init(context, key.baseAddress, key.count, &params) == 1
                }
            }
            if !ok {
                EVP_MAC_CTX_free(context)
                ERR_clear_error()
                return nil
            }
            return context
        }
    }

    deinit {
        for context in contexts { EVP_MAC_CTX_free(context) }
    }

    /// Computes the MAC of `input` and compares it with `signature` in constant time.
    func verify(hashLength: Int, signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard signature.count == hashLength else { return false }
        let slot = hashLength == 32 ? 0 : hashLength == 48 ? 1 : 2
        guard let template = contexts[slot], let context = EVP_MAC_CTX_dup(template) else { return false }
        defer { EVP_MAC_CTX_free(context) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { mac in
            var length = 0
            guard EVP_MAC_update(context, input.baseAddress, input.count) == 1,
                  EVP_MAC_final(context, mac.baseAddress, &length, 64) == 1, length == hashLength
            else {
                ERR_clear_error()
                return false
            }
            return CRYPTO_memcmp(mac.baseAddress, signature.baseAddress, hashLength) == 0
        }
    }
}

import COpenSSL

/// HMAC (RFC 2104) from digest states keyed once per secret and hash; each verification
/// copies them.
///
/// The inner and outer hashes start from `K ⊕ ipad` and `K ⊕ opad` already absorbed, so a
/// verification copies two digest contexts (`EVP_MD_CTX_copy_ex`) and hashes only the
/// signing input and the inner hash. This skips the provider fetch that one-shot `HMAC()`
/// performs on every call in OpenSSL 3, the key schedule, and the three digest contexts
/// an `EVP_MAC_CTX_dup` of a keyed HMAC copies. `@unchecked Sendable`: the keyed states
/// are never updated after `init`; copying only reads its source.
final class HMACTemplate: @unchecked Sendable {
    /// The hash state after `K ⊕ ipad` (inner) and after `K ⊕ opad` (outer).
    private struct KeyedStates {
        let inner: OpaquePointer
        let outer: OpaquePointer
    }

    /// Keyed states for SHA-256, SHA-384 and SHA-512 (nil when the secret is too short).
    private let states: [KeyedStates?]

    init(secret: [UInt8]) {
        states = [(Digests.sha256, 32), (Digests.sha384, 48), (Digests.sha512, 64)].map { digest, length in
            guard secret.count >= length else { return nil }
            return Self.keyedStates(secret: secret, digest: digest)
        }
    }

    deinit {
        for case let state? in states {
            EVP_MD_CTX_free(state.inner)
            EVP_MD_CTX_free(state.outer)
        }
    }

    /// `K` is the secret, or its hash when longer than a block, zero-padded to one block.
    private static func keyedStates(secret: [UInt8], digest: OpaquePointer) -> KeyedStates? {
        let blockSize = Int(EVP_MD_get_block_size(digest))
        guard blockSize > 0 else { return nil }
        var block = [UInt8](repeating: 0, count: blockSize)
        defer { OPENSSL_cleanse(&block, blockSize) }
        if secret.count > blockSize {
            var length: UInt32 = 0
            guard EVP_Digest(secret, secret.count, &block, &length, digest, nil) == 1 else {
                ERR_clear_error()
                return nil
            }
        } else {
            block.replaceSubrange(0..<secret.count, with: secret)
        }
        func state(_ pad: UInt8) -> OpaquePointer? {
            guard let context = EVP_MD_CTX_new() else { return nil }
            var padded = block.map { $0 ^ pad }
            defer { OPENSSL_cleanse(&padded, blockSize) }
            guard EVP_DigestInit_ex(context, digest, nil) == 1,
                  EVP_DigestUpdate(context, padded, blockSize) == 1
            else {
                EVP_MD_CTX_free(context)
                ERR_clear_error()
                return nil
            }
            return context
        }
        guard let inner = state(0x36) else { return nil }
        guard let outer = state(0x5C) else {
            EVP_MD_CTX_free(inner)
            return nil
        }
        return KeyedStates(inner: inner, outer: outer)
    }

    /// Computes the MAC of `input` and compares it with `signature` in constant time.
    func verify(hashLength: Int, signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard signature.count == hashLength else { return false }
        let slot = hashLength == 32 ? 0 : hashLength == 48 ? 1 : 2
        guard let state = states[slot], let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            let innerHash = buffer.baseAddress!
            let mac = innerHash + 64
            var innerLength: UInt32 = 0
            var macLength: UInt32 = 0
            guard EVP_MD_CTX_copy_ex(context, state.inner) == 1,
                  EVP_DigestUpdate(context, input.baseAddress, input.count) == 1,
                  EVP_DigestFinal_ex(context, innerHash, &innerLength) == 1, Int(innerLength) == hashLength,
                  EVP_MD_CTX_copy_ex(context, state.outer) == 1,
                  EVP_DigestUpdate(context, innerHash, hashLength) == 1,
                  EVP_DigestFinal_ex(context, mac, &macLength) == 1, Int(macLength) == hashLength
            else {
                ERR_clear_error()
                return false
            }
            return CRYPTO_memcmp(mac, signature.baseAddress, hashLength) == 0
        }
    }
}

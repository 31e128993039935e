import COpenSSL

/// Why a DER key could not be loaded.
public struct KeyLoadError: Error, Sendable, Hashable {
    /// A stable identifier such as `key.der.invalid`.
    public let code: String
    /// A lowercase human description.
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// An owned `EVP_PKEY` holding a public key, freed when the last reference goes.
///
/// `@unchecked Sendable`: the key is never mutated after construction, and OpenSSL 3
/// documents `EVP_PKEY` as safe for concurrent use by verify operations.
final class OpenSSLPublicKey: @unchecked Sendable {
    let pkey: OpaquePointer

    /// Parses DER SubjectPublicKeyInfo with `d2i_PUBKEY`; the whole input must be consumed.
    init(der: [UInt8]) throws(KeyLoadError) {
        var consumed = 0
        let loaded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            if let cursor { consumed = cursor - base }
            return key
        }
        ERR_clear_error()
        guard let loaded else {
            throw KeyLoadError("key.der.invalid", "the key is not a valid DER SubjectPublicKeyInfo that OpenSSL accepts")
        }
        guard consumed == der.count else {
            EVP_PKEY_free(loaded)
            throw KeyLoadError("key.der.trailing-bytes", "the DER SubjectPublicKeyInfo has trailing bytes")
        }
        self.pkey = loaded
    }

    deinit { EVP_PKEY_free(pkey) }

    /// OpenSSL's public-key check (for EC: on the curve, not infinity, correct order).
    func passesPublicCheck() -> Bool {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(context) }
        let result = EVP_PKEY_public_check(context)
        ERR_clear_error()
        return result == 1
    }

    /// Reads the key back into JWK components (for thumbprints of keys loaded from DER).
    func components() throws(KeyLoadError) -> PublicKeyComponents {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            guard let n = bigNumberParameter("n"), let e = bigNumberParameter("e") else {
                throw KeyLoadError("key.rsa.unreadable", "the RSA key's modulus or exponent cannot be read")
            }
            return .rsa(n: n, e: e)
        case EVP_PKEY_EC:
            guard let curve = ecCurve() else {
                throw KeyLoadError("key.ec.curve-unsupported", "the EC key is not on P-256, P-384 or P-521")
            }
            guard let x = bigNumberParameter("qx", length: curve.coordinateLength),
                  let y = bigNumberParameter("qy", length: curve.coordinateLength)
            else { throw KeyLoadError("key.ec.unreadable", "the EC public point cannot be read") }
            return .ec(curve: curve, x: x, y: y)
        case EVP_PKEY_ED25519:
            return .okp(curve: .ed25519, x: try rawPublicKey(length: 32))
        case EVP_PKEY_ED448:
            return .okp(curve: .ed448, x: try rawPublicKey(length: 57))
        default:
            throw KeyLoadError("key.type-unsupported", "the key type is not RSA, EC, Ed25519 or Ed448")
        }
    }

    private func ecCurve() -> ECCurve? {
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else { return nil }
        let text = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch text {
        case "prime256v1", "P-256", "secp256r1": return .p256
        case "secp384r1", "P-384": return .p384
        case "secp521r1", "P-521": return .p521
        default: return nil
        }
    }

    private func bigNumberParameter(_ name: String, length: Int? = nil) -> [UInt8]? {
        var number: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &number) == 1, let number else { return nil }
        defer { BN_free(number) }
        let size = (Int(BN_num_bits(number)) + 7) / 8
        let width = length ?? max(size, 1)
        guard size <= width else { return nil }
        var out = [UInt8](repeating: 0, count: width)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(number, $0.baseAddress, Int32(width)) }
        return written == Int32(width) ? out : nil
    }

    private func rawPublicKey(length: Int) throws(KeyLoadError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var size = length
        guard EVP_PKEY_get_raw_public_key(pkey, &out, &size) == 1, size == length else {
            throw KeyLoadError("key.okp.unreadable", "the EdDSA public key cannot be read")
        }
        return out
    }
}

internal import COpenSSL

/// SHA-256 through OpenSSL.
public enum SHA256 {
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &output, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "OpenSSL SHA-256 failed")
        return output
    }

    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        hexString(digest(bytes))
    }
}

/// Lowercase hex of bytes.
public func hexString(_ bytes: some Collection<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// An Ed25519 private key that signs bundle digests.
public final class BundleSigningKey: @unchecked Sendable {
    let key: OpaquePointer
    /// SHA-256 of the public key's DER SubjectPublicKeyInfo: names the signer in the bundle.
    public let keyID: [UInt8]

    /// Loads a PEM private key (`openssl genpkey -algorithm ed25519`).
    public init(pem: [UInt8]) throws(BundleError) {
        key = try loadEd25519(pem, reader: { PEM_read_bio_PrivateKey($0, nil, nil, nil) },
                              notPEM: "the signing key is not a PEM private key",
                              notEd25519: "the signing key must be an Ed25519 key (openssl genpkey -algorithm ed25519)")
        keyID = SHA256.digest(publicKeyDER(key))
    }

    deinit { EVP_PKEY_free(key) }

    /// The public key as PEM, for distributing to loaders.
    public var publicKeyPEM: String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        PEM_write_bio_PUBKEY(bio, key)
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    func sign(_ message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL allocation failed") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = EVP_DigestSignInit(context, nil, nil, nil, key) == 1
            && EVP_DigestSign(context, &signature, &length, message, message.count) == 1
        precondition(ok && length == 64, "Ed25519 signing failed")
        return signature
    }
}

/// An Ed25519 public key that a loader trusts to sign bundles.
public final class BundleTrustedKey: @unchecked Sendable {
    let key: OpaquePointer
    public let keyID: [UInt8]

    /// Loads a PEM public key.
    public init(pem: [UInt8]) throws(BundleError) {
        key = try loadEd25519(pem, reader: { PEM_read_bio_PUBKEY($0, nil, nil, nil) },
                              notPEM: "the trusted key is not a PEM public key",
                              notEd25519: "a trusted bundle key must be an Ed25519 public key")
        keyID = SHA256.digest(publicKeyDER(key))
    }

    deinit { EVP_PKEY_free(key) }

    func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
            && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

/// Reads one PEM key with `reader` and insists that it is an Ed25519 key.
private func loadEd25519(_ pem: [UInt8], reader: (OpaquePointer) -> OpaquePointer?,
                         notPEM: String, notEd25519: String) throws(BundleError) -> OpaquePointer {
    let loaded: OpaquePointer? = pem.withUnsafeBytes { buffer in
        guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
        defer { BIO_free(bio) }
        return reader(bio)
    }
    guard let loaded else { throw .io(notPEM) }
    guard EVP_PKEY_get_id(loaded) == EVP_PKEY_ED25519 else {
        EVP_PKEY_free(loaded)
        throw .io(notEd25519)
    }
    return loaded
}

private func publicKeyDER(_ key: OpaquePointer) -> [UInt8] {
    var pointer: UnsafeMutablePointer<UInt8>?
    let length = i2d_PUBKEY(key, &pointer)
    guard length > 0, let pointer else { return [] }
    defer { CRYPTO_free(pointer, #fileID, #line) }
    return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
}

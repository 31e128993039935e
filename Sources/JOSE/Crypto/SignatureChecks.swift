import COpenSSL

/// One-shot OpenSSL verification primitives shared by every asymmetric family.
enum OpenSSLVerify {
    /// `EVP_DigestVerify` over `input` with an optional digest and RSA padding setup.
    static func digestVerify(
        key: OpaquePointer, digest: OpaquePointer?, pss: Bool,
        signature: UnsafeBufferPointer<UInt8>, input: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard initialise(context, key: key, digest: digest, pss: pss) else { return false }
        let result = EVP_DigestVerify(context, signature.baseAddress, signature.count, input.baseAddress, input.count)
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// `EVP_DigestVerifyInit`, then PSS padding, salt length = digest length and MGF1 digest.
    static func initialise(_ context: OpaquePointer, key: OpaquePointer, digest: OpaquePointer?, pss: Bool) -> Bool {
        var keyContext: OpaquePointer? = nil
        guard EVP_DigestVerifyInit(context, &keyContext, digest, nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        if pss {
            guard let keyContext,
                  EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, digest) == 1
            else {
                ERR_clear_error()
                return false
            }
        }
        return true
    }
}

/// JWS ECDSA signatures (RFC 7518 §3.4): `r ‖ s`, fixed width, converted to DER.
enum ECDSASignature {
    /// The group order n of each curve, big-endian, padded to the coordinate length.
    static let p256Order = hexBytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
    static let p384Order = hexBytes(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973")
    static let p521Order = hexBytes(
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
            + "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409")

    static func order(of curve: ECCurve) -> [UInt8] {
        switch curve {
        case .p256: return p256Order
        case .p384: return p384Order
        case .p521: return p521Order
        }
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)!
        }
    }

    /// Whether `0 < value < order` for equal-length big-endian integers (CVE-2022-21449).
    static func isInRange(_ value: UnsafeBufferPointer<UInt8>, order: [UInt8]) -> Bool {
        var isZero = true
        for byte in value where byte != 0 { isZero = false; break }
        if isZero { return false }
        for index in 0..<order.count {
            if value[index] != order[index] { return value[index] < order[index] }
        }
        return false
    }

    /// Checks lengths and ranges, then hands `verifyDER` a DER `ECDSA-Sig-Value` built on the stack.
    static func verify(
        curve: ECCurve, signature: UnsafeBufferPointer<UInt8>,
        verifyDER: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        let width = curve.coordinateLength
        guard signature.count == 2 * width else { return false }
        let r = UnsafeBufferPointer(rebasing: signature[0..<width])
        let s = UnsafeBufferPointer(rebasing: signature[width..<2 * width])
        let order = order(of: curve)
        guard isInRange(r, order: order), isInRange(s, order: order) else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { der in
            let length = encodeDER(r: r, s: s, into: der)
            return verifyDER(UnsafeBufferPointer(rebasing: der[0..<length]))
        }
    }

    /// Writes `SEQUENCE { INTEGER r, INTEGER s }`; returns the length written.
    static func encodeDER(r: UnsafeBufferPointer<UInt8>, s: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        func integerLength(_ value: UnsafeBufferPointer<UInt8>) -> (skip: Int, pad: Bool) {
            var skip = 0
            while skip < value.count - 1, value[skip] == 0 { skip += 1 }
            return (skip, value[skip] & 0x80 != 0)
        }
        let (rSkip, rPad) = integerLength(r)
        let (sSkip, sPad) = integerLength(s)
        let rLength = r.count - rSkip + (rPad ? 1 : 0)
        let sLength = s.count - sSkip + (sPad ? 1 : 0)
        let content = 2 + rLength + 2 + sLength
        var index = 0
        out[index] = 0x30; index += 1
        if content >= 0x80 { out[index] = 0x81; index += 1 }
        out[index] = UInt8(content); index += 1
        func writeInteger(_ value: UnsafeBufferPointer<UInt8>, skip: Int, pad: Bool, length: Int) {
            out[index] = 0x02
            out[index + 1] = UInt8(length)
            index += 2
            if pad { out[index] = 0; index += 1 }
            for byte in value[skip...] { out[index] = byte; index += 1 }
        }
        writeInteger(r, skip: rSkip, pad: rPad, length: rLength)
        writeInteger(s, skip: sSkip, pad: sPad, length: sLength)
        return index
    }
}

/// EdDSA signature checks before OpenSSL (RFC 8032 §5.1.7, §5.2.7).
enum EdDSASignature {
    /// The Ed25519 group order L, little-endian.
    static let ed25519Order: [UInt8] = ECDSASignature.hexBytes(
        "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")

    /// Whether S (the second half) is canonical: below L for Ed25519, top byte zero for Ed448.
    static func hasCanonicalS(_ signature: UnsafeBufferPointer<UInt8>, curve: OKPCurve) -> Bool {
        switch curve {
        case .ed25519:
            for index in stride(from: 31, through: 0, by: -1) {
                let byte = signature[32 + index]
                if byte != ed25519Order[index] { return byte < ed25519Order[index] }
            }
            return false
        case .ed448:
            return signature[113] == 0
        }
    }
}

/// A minimal DER encoder for SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 3279, RFC 5480, RFC 8410).
enum DER {
    static let sequence: UInt8 = 0x30
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03

    /// `AlgorithmIdentifier` for rsaEncryption with NULL parameters.
    static let rsaAlgorithm: [UInt8] = [
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
    ]
    /// OID id-ecPublicKey.
    static let ecPublicKeyOID: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]

    static func curveOID(_ curve: ECCurve) -> [UInt8] {
        switch curve {
        case .p256: return [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        case .p384: return [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
        case .p521: return [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23]
        }
    }

    static func okpAlgorithm(_ curve: OKPCurve) -> [UInt8] {
        switch curve {
        case .ed25519: return [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70]
        case .ed448: return [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x71]
        }
    }

    /// Appends a tag-length-value with a definite, minimal length.
    static func append(tag: UInt8, _ content: [UInt8], to out: inout [UInt8]) {
        out.append(tag)
        appendLength(content.count, to: &out)
        out.append(contentsOf: content)
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + 6)
        append(tag: tag, content, to: &out)
        return out
    }

    static func appendLength(_ length: Int, to out: inout [UInt8]) {
        if length < 0x80 {
            out.append(UInt8(length))
            return
        }
        var bytes: [UInt8] = []
        var rest = length
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        out.append(0x80 | UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// A positive INTEGER from unsigned big-endian bytes (leading zeros dropped, sign byte added).
    static func unsignedInteger(_ magnitude: some Collection<UInt8>) -> [UInt8] {
        var trimmed = Array(magnitude.drop(while: { $0 == 0 }))
        if trimmed.isEmpty { trimmed = [0] }
        if trimmed[0] & 0x80 != 0 { trimmed.insert(0, at: 0) }
        return tlv(integer, trimmed)
    }

    /// SubjectPublicKeyInfo for the given components (`nil` for `oct`, which has none).
    static func subjectPublicKeyInfo(_ components: PublicKeyComponents) -> [UInt8]? {
        let algorithm: [UInt8]
        let publicKey: [UInt8]
        switch components {
        case .rsa(let n, let e):
            algorithm = rsaAlgorithm
            publicKey = tlv(sequence, unsignedInteger(n) + unsignedInteger(e))
        case .ec(let curve, let x, let y):
            algorithm = tlv(sequence, ecPublicKeyOID + curveOID(curve))
            publicKey = [0x04] + x + y
        case .okp(let curve, let x):
            algorithm = okpAlgorithm(curve)
            publicKey = x
        case .oct:
            return nil
        }
        return tlv(sequence, algorithm + tlv(bitString, [0x00] + publicKey))
    }
}

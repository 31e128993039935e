/// The decoded members that define a key, before any OpenSSL object exists.
enum PublicKeyComponents: Sendable, Hashable {
    /// Modulus and public exponent, unsigned big-endian, minimal.
    case rsa(n: [UInt8], e: [UInt8])
    /// Affine coordinates, each exactly the curve's coordinate length.
    case ec(curve: ECCurve, x: [UInt8], y: [UInt8])
    /// The raw public key.
    case okp(curve: OKPCurve, x: [UInt8])
    /// The raw HMAC secret.
    case oct(k: [UInt8])

    var kind: JWK.Kind {
        switch self {
        case .rsa: return .rsa
        case .ec(let curve, _, _): return .ec(curve)
        case .okp(let curve, _): return .okp(curve)
        case .oct: return .oct
        }
    }

    /// The RFC 7638 canonical JSON: required members only, sorted, no whitespace.
    var thumbprintInput: String {
        switch self {
        case .rsa(let n, let e):
            return #"{"e":""# + Base64URL.encode(e) + #"","kty":"RSA","n":""# + Base64URL.encode(n) + #""}"#
        case .ec(let curve, let x, let y):
            return #"{"crv":""# + curve.rawValue + #"","kty":"EC","x":""# + Base64URL.encode(x)
                + #"","y":""# + Base64URL.encode(y) + #""}"#
        case .okp(let curve, let x):
            return #"{"crv":""# + curve.rawValue + #"","kty":"OKP","x":""# + Base64URL.encode(x) + #""}"#
        case .oct(let k):
            return #"{"k":""# + Base64URL.encode(k) + #"","kty":"oct"}"#
        }
    }

    /// The RFC 7638 JWK thumbprint: base64url(SHA-256(canonical JSON)).
    var thumbprint: String {
        Base64URL.encode(Digests.sha256(Array(thumbprintInput.utf8)))
    }

    /// DER SubjectPublicKeyInfo, or the raw secret for `oct`.
    var keyMaterial: [UInt8] {
        if case .oct(let k) = self { return k }
        return DER.subjectPublicKeyInfo(self) ?? []
    }

    /// The modulus size in bits for RSA keys.
    var modulusBits: Int? {
        guard case .rsa(let n, _) = self, let first = n.first(where: { $0 != 0 }) else { return nil }
        let leading = n.firstIndex(of: first)! - n.startIndex
        return (n.count - leading) * 8 - first.leadingZeroBitCount
    }
}

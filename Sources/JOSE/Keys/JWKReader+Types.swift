/// The per-`kty` members: RSA (RFC 7518 §6.3), EC (§6.2), OKP (RFC 8037 §2), oct (§6.4).
extension JWKReader {
    static let minimumModulusBits = 2048

    mutating func minimalInteger(_ name: String) -> [UInt8]? {
        guard let value = bytes(name) else { return nil }
        if value.isEmpty || value[0] == 0 {
            reporter.report(
                "jwk.member.non-minimal",
                value.isEmpty ? "`\(name)` is empty" : "`\(name)` is not a minimal big-endian integer: it starts with a zero byte",
                member: name, at: object[member: name], hint: value.isEmpty ? nil : "drop the leading zero bytes (RFC 7518 §6.3.1)")
            return nil
        }
        return value
    }

    mutating func readRSA() -> PublicKeyComponents? {
        let n = minimalInteger("n")
        let e = minimalInteger("e")
        var ok = n != nil && e != nil
        if let n {
            let bits = PublicKeyComponents.rsa(n: n, e: [1]).modulusBits ?? 0
            if bits < Self.minimumModulusBits {
                reporter.report(
                    "jwk.rsa.modulus-too-small", "`n` is a \(bits)-bit modulus; at least \(Self.minimumModulusBits) bits are required",
                    member: "n", at: object[member: "n"], hint: "use an RSA key of 2048 bits or more")
                ok = false
            }
        }
        if let e {
            if e.last! & 1 == 0 {
                reporter.report("jwk.rsa.exponent-even", "the public exponent `e` is even", member: "e", at: object[member: "e"])
                ok = false
            } else if e.count < 3 || (e.count == 3 && (UInt32(e[0]) << 16 | UInt32(e[1]) << 8 | UInt32(e[2])) < 65537) {
                reporter.report(
                    "jwk.rsa.exponent-too-small", "the public exponent `e` is smaller than 65537", member: "e",
                    at: object[member: "e"], hint: "use the standard exponent 65537 (`AQAB`)")
                ok = false
            }
        }
        guard ok, let n, let e else { return nil }
        return checkedByOpenSSL(.rsa(n: n, e: e), code: "jwk.rsa.invalid", member: "n", what: "the RSA public key")
    }

    mutating func readEC() -> PublicKeyComponents? {
        guard let crvName = string("crv", required: true) else { return nil }
        guard let curve = ECCurve(rawValue: crvName) else {
            reporter.report(
                "jwk.ec.curve-unknown", "unknown EC curve `\(crvName)`", member: "crv", at: object[member: "crv"],
                hint: "use `P-256`, `P-384` or `P-521`")
            return nil
        }
        let x = coordinate("x", curve: curve)
        let y = coordinate("y", curve: curve)
        guard let x, let y else { return nil }
        return checkedByOpenSSL(
            .ec(curve: curve, x: x, y: y), code: "jwk.ec.point-not-on-curve", member: "x",
            what: "the point (`x`, `y`) is not on \(curve.rawValue)")
    }

    mutating func coordinate(_ name: String, curve: ECCurve) -> [UInt8]? {
        guard let value = bytes(name) else { return nil }
        guard value.count == curve.coordinateLength else {
            reporter.report(
                "jwk.ec.coordinate-length",
                "`\(name)` is \(value.count) bytes; \(curve.rawValue) coordinates are exactly \(curve.coordinateLength) bytes",
                member: name, at: object[member: name], hint: "keep leading zero bytes of EC coordinates (RFC 7518 §6.2.1.2)")
            return nil
        }
        return value
    }

    mutating func readOKP() -> PublicKeyComponents? {
        guard let crvName = string("crv", required: true) else { return nil }
        guard let curve = OKPCurve(rawValue: crvName) else {
            let agreement = crvName == "X25519" || crvName == "X448"
            reporter.report(
                agreement ? "jwk.okp.curve-unsupported" : "jwk.okp.curve-unknown",
                agreement ? "`crv` `\(crvName)` is a key-agreement curve and cannot verify signatures" : "unknown OKP curve `\(crvName)`",
                member: "crv", at: object[member: "crv"], hint: "use `Ed25519` or `Ed448`")
            return nil
        }
        guard let x = bytes("x") else { return nil }
        guard x.count == curve.publicKeyLength else {
            reporter.report(
                "jwk.okp.key-length", "`x` is \(x.count) bytes; \(curve.rawValue) public keys are \(curve.publicKeyLength) bytes",
                member: "x", at: object[member: "x"])
            return nil
        }
        return checkedByOpenSSL(.okp(curve: curve, x: x), code: "jwk.okp.invalid", member: "x", what: "the \(curve.rawValue) public key")
    }

    mutating func readOct(alg: JWSAlgorithm?) -> PublicKeyComponents? {
        guard let k = bytes("k") else { return nil }
        let needed = alg?.hashLength ?? 32
        guard k.count >= needed else {
            let name = alg?.rawValue ?? "HS256"
            reporter.report(
                "jwk.oct.secret-too-short",
                "`k` is \(k.count) bytes; \(name) needs a secret of at least \(needed) bytes (RFC 7518 §3.2)",
                member: "k", at: object[member: "k"], hint: "generate a random secret of at least \(needed) bytes")
            return nil
        }
        return .oct(k: k)
    }

    /// Loads the SPKI into OpenSSL (and runs its public-key check) to catch what the
    /// member checks cannot, such as an EC point off its curve.
    mutating func checkedByOpenSSL(_ components: PublicKeyComponents, code: String, member: String, what: String) -> PublicKeyComponents? {
        let key: OpenSSLPublicKey
        do {
            key = try OpenSSLPublicKey(der: components.keyMaterial)
        } catch {
            reporter.report(code, code.hasSuffix("not-on-curve") ? what : "OpenSSL rejects \(what)", member: member, at: object[member: member])
            return nil
        }
        if case .ec = components, !key.passesPublicCheck() {
            reporter.report(code, what, member: member, at: object[member: member])
            return nil
        }
        return components
    }
}

/// Reads one JWK object, reporting every problem it finds in it.
struct JWKReader {
    let object: JSONValue
    var reporter: KeyIssueReporter

    /// Members that only a private key has (RFC 7518 §6.2.2, §6.3.2).
    static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth"]

    /// The key's members as found, or `nil` when it is unusable.
    struct Outcome {
        var components: PublicKeyComponents?
        var alg: JWSAlgorithm?
        var isVerificationKey = true
    }

    mutating func read() -> Outcome {
        var outcome = Outcome()
        guard let kty = string("kty", required: true) else { return outcome }
        outcome.alg = readAlgorithm()
        outcome.isVerificationKey = readUsage()
        if kty != "oct" { checkPrivateMembers() }
        switch kty {
        case "RSA": outcome.components = readRSA()
        case "EC": outcome.components = readEC()
        case "OKP": outcome.components = readOKP()
        case "oct": outcome.components = readOct(alg: outcome.alg)
        default:
            reporter.report(
                "jwk.kty.unknown", "unknown `kty` `\(kty)`", member: "kty", at: object[member: "kty"],
                hint: "use `RSA`, `EC`, `OKP` or `oct`")
        }
        if let components = outcome.components, let alg = outcome.alg, !alg.isCompatible(with: components.kind) {
            let need: String
            switch alg.family {
            case .hmac: need = "an oct key"
            case .rsaPKCS1, .rsaPSS: need = "an RSA key"
            case .ecdsa: need = "an EC key on \(alg.requiredCurve?.rawValue ?? "")"
            case .eddsa: need = "an OKP key (Ed25519 or Ed448)"
            }
            reporter.report(
                "jwk.alg.mismatch", "`alg` is `\(alg.rawValue)` but this is \(components.kind.summary); `\(alg.rawValue)` needs \(need)",
                member: "alg", at: object[member: "alg"])
        }
        return outcome
    }

    // MARK: Common members

    mutating func string(_ name: String, required: Bool) -> String? {
        guard let value = object[member: name] else {
            if required {
                reporter.report("jwk.member.missing", "the required member `\(name)` is missing", member: name, at: object)
            }
            return nil
        }
        guard let text = value.stringValue else {
            reporter.report(
                "jwk.member.type", "`\(name)` must be a string, not \(value.typeName == "array" || value.typeName == "object" ? "an" : "a") \(value.typeName)",
                member: name, at: value)
            return nil
        }
        return text
    }

    mutating func readAlgorithm() -> JWSAlgorithm? {
        guard let name = string("alg", required: false) else { return nil }
        if JWSAlgorithm.isNone(name) {
            reporter.report(
                "jwk.alg.none", "`alg` is `\(name)`: unsigned tokens are never accepted", member: "alg", at: object[member: "alg"])
            return nil
        }
        guard let alg = JWSAlgorithm(rawValue: name) else {
            reporter.report(
                "jwk.alg.unsupported", "`alg` `\(name)` is not a supported signature algorithm", member: "alg",
                at: object[member: "alg"],
                hint: "use one of \(JWSAlgorithm.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))")
            return nil
        }
        return alg
    }

    /// Reads `use` and `key_ops`; false when they say the key is not for verification.
    mutating func readUsage() -> Bool {
        var verification = true
        if let use = string("use", required: false) {
            if use == "enc" {
                reporter.report(
                    "jwk.use.enc", "`use` is `enc`, so this is an encryption key and is not used to verify tokens",
                    member: "use", at: object[member: "use"], severity: .warning)
                verification = false
            } else if use != "sig" {
                reporter.report(
                    "jwk.use.unknown", "`use` `\(use)` is neither `sig` nor `enc`; the key is not used to verify tokens",
                    member: "use", at: object[member: "use"], severity: .warning)
                verification = false
            }
        }
        if let ops = object[member: "key_ops"] {
            guard let elements = ops.elements, elements.allSatisfy({ $0.stringValue != nil }) else {
                reporter.report("jwk.member.type", "`key_ops` must be an array of strings", member: "key_ops", at: ops)
                return false
            }
            if !elements.contains(where: { $0.stringValue == "verify" }) {
                reporter.report(
                    "jwk.key-ops.no-verify", "`key_ops` does not include `verify`; the key is not used to verify tokens",
                    member: "key_ops", at: ops, severity: .warning)
                verification = false
            }
        }
        return verification
    }

    mutating func checkPrivateMembers() {
        let found = Self.privateMembers.filter { object[member: $0] != nil }
        guard let first = found.first else { return }
        let list = found.map { "`\($0)`" }.joined(separator: ", ")
        reporter.report(
            "jwk.private-key-leaked",
            "contains private key member\(found.count > 1 ? "s" : "") \(list): the private key has leaked into the policy and must be rotated",
            member: first, at: object.member(first).map { .string($0.name, span: $0.nameSpan) },
            hint: "generate a new key pair, publish only its public members, and revoke this key; deleting the members is not enough")
    }

    /// Reads a required base64url member, reporting missing, type and encoding problems.
    mutating func bytes(_ name: String) -> [UInt8]? {
        guard let text = string(name, required: true) else { return nil }
        switch Base64URL.decode(text.utf8) {
        case .success(let bytes):
            return bytes
        case .failure(let error):
            var hint: String?
            switch error.kind {
            case .lineBreak: hint = "join the lines of `\(name)` into one line"
            case .padding: hint = "remove the trailing `=` padding"
            case .whitespace: hint = "remove the whitespace from `\(name)`"
            case .invalidCharacter: hint = "base64url uses `-` and `_` where base64 uses `+` and `/`"
            case .impossibleLength: hint = "the value looks truncated"
            case .nonCanonical: hint = nil
            }
            reporter.report(
                "jwk.member.base64url", "`\(name)` is not valid base64url: \(error.message)", member: name,
                at: object[member: name], valueOffset: error.offset, hint: hint)
            return nil
        }
    }
}

import BundleFormat
import Diagnostics
import FrontEnd
import JOSE

/// A verification key that passed every check, with the place it was declared.
struct CheckedKey: Sendable {
    var kid: String?
    var algorithm: JWSAlgorithm?
    var thumbprint: String
    var material: Key.Material
    var span: SourceSpan
    /// What the key can verify (family, curve and its own `alg`).
    var allowed: [JWSAlgorithm]
}

/// Validates an entry's JWKS with JOSE and places every key problem at its YAML node,
/// inside the JSON string at the right line and column, or in the `jwksFile`.
///
/// An `oct` key may name an environment variable with `kEnv` instead of holding its
/// secret in `k`: the runtime resolves it when it loads the bundle, so the bundle (and
/// the policy repository) never holds the secret.
enum KeyCheck {
    static func check(_ entry: EntryParts, into diagnostics: inout DiagnosticBag) -> [CheckedKey] {
        guard let jwks = entry.jwks else { return [] }
        var document = KeyDocument(jwks)
        let before = diagnostics.errorCount
        guard let root = document.parse(into: &diagnostics) else { return [] }

        // Environment-variable secrets are checked here; everything else goes to JOSE.
        var forJOSE: [JSONValue] = []
        var originalIndex: [Int] = []
        var environmentKeys: [CheckedKey] = []
        let elements = root[member: "keys"]?.elements ?? []
        for (index, element) in elements.enumerated() {
            // `kEnv` belongs to policies; in a fetched set JOSE refuses it as a key without `k`.
            if element[member: "kEnv"] != nil && document.fetchedURL == nil {
                if let key = environmentKey(element, index: index, document: document, into: &diagnostics) { environmentKeys.append(key) }
            } else {
                forJOSE.append(element)
                originalIndex.append(index)
            }
        }
        let rewritten = rootReplacingKeys(root, with: forJOSE)
        let result = JWKSValidation.validate(rewritten, textAvailable: document.spansAreText)
        for issue in result.issues {
            if issue.code == "jwks.no-verification-key" && (!environmentKeys.isEmpty || diagnostics.errorCount > before) { continue }
            let index = issue.keyIndex.map { originalIndex[$0] }
            diagnostics.append(diagnostic(for: issue, keyIndex: index, root: root, document: document))
        }
        var keys = environmentKeys
        for jwk in result.keys {
            let position = elements.firstIndex { $0[member: "kid"]?.stringValue == jwk.kid && jwk.kid != nil }
            let span = position.map { document.span(keyIndex: $0, member: nil, valueOffset: nil, root: root) } ?? document.wholeSpan
            let isSecret = if case .oct = jwk.kind { true } else { false }
            let material: Key.Material = isSecret ? .secret(jwk.keyMaterial) : .spki(jwk.keyMaterial)
            keys.append(CheckedKey(kid: jwk.kid, algorithm: jwk.alg, thumbprint: jwk.thumbprint, material: material, span: span,
                                   allowed: JWSAlgorithm.allCases.filter(jwk.allows)))
            if isSecret, let url = document.fetchedURL {
                diagnostics.error(.privateKeyLeaked, "`\(url)`: key \(jwk.kid.map { "`\($0)`" } ?? "without kid") is an HMAC secret published in a JWKS, so anyone who fetches it can sign tokens",
                                  at: span, hint: "an identity provider's JWKS holds public keys only; rotate this secret and use an asymmetric algorithm")
            } else if isSecret {
                diagnostics.warning(.inlineSecret, "an HMAC secret is written into the policy, so every bundle compiled from it is a secret too",
                                    at: span, hint: "replace `k` with `kEnv: VARIABLE` and give the runtime the secret in that environment variable")
            }
        }
        if diagnostics.errorCount == before {
            checkKeylessKeys(keys, into: &diagnostics)
            checkAlgorithms(entry, keys: keys, into: &diagnostics)
        }
        return diagnostics.errorCount == before ? keys : []
    }

    /// Several keys without `kid`: every token without a kid tries each of them.
    static func checkKeylessKeys(_ keys: [CheckedKey], into diagnostics: inout DiagnosticBag) {
        let keyless = keys.filter { $0.kid == nil }
        guard keyless.count > 1 else { return }
        diagnostics.warning(.keysWithoutKid, "\(keyless.count) keys have no `kid`, so a token without a kid may need several signature checks",
                            at: keyless[1].span, notes: [DiagnosticNote("another key without `kid`", at: keyless[0].span)],
                            hint: "give every key a `kid` (its RFC 7638 thumbprint is a good choice)")
    }

    static func checkAlgorithms(_ entry: EntryParts, keys: [CheckedKey], into diagnostics: inout DiagnosticBag) {
        guard let algorithms = entry.algorithms, !keys.isEmpty else { return }
        let usable = Set(keys.flatMap(\.allowed).map(\.rawValue))
        if !algorithms.contains(where: { usable.contains($0.value) }) {
            let span = algorithms.first?.span.map { first in algorithms.last?.span.map { first.union($0) } ?? first } ?? nil
            diagnostics.error(.algorithmsMatchNoKey, "none of the allowed algorithms matches a key of \(entry.displayName)", at: span,
                              hint: "the keys can verify " + usable.sorted().map { "`\($0)`" }.joined(separator: ", "))
        }
    }

    static func environmentKey(_ element: JSONValue, index: Int, document: KeyDocument, into diagnostics: inout DiagnosticBag) -> CheckedKey? {
        let root = document.rootForLookup
        func fail(_ message: String, member: String?, hint: String? = nil) -> CheckedKey? {
            diagnostics.error(.secretFromEnvironment, "key \(index): \(message)",
                              at: document.span(keyIndex: index, member: member, valueOffset: nil, root: root), hint: hint)
            return nil
        }
        guard element[member: "kty"]?.stringValue == "oct" else {
            return fail("`kEnv` is only for `oct` (HMAC) keys", member: "kty")
        }
        if element[member: "k"] != nil {
            return fail("give either `k` or `kEnv`, not both", member: "k", hint: "remove `k`: the secret must not be in the policy")
        }
        guard let name = element[member: "kEnv"]?.stringValue, isEnvironmentName(name) else {
            return fail("`kEnv` must name an environment variable (`A-Z`, `0-9`, `_`, not starting with a digit)", member: "kEnv")
        }
        guard let algName = element[member: "alg"]?.stringValue, let alg = JWSAlgorithm(name: algName),
              [.HS256, .HS384, .HS512].contains(alg) else {
            return fail("a `kEnv` key needs `alg`: `HS256`, `HS384` or `HS512`", member: "alg",
                        hint: "the secret's length is only known at load time, so the algorithm must be pinned")
        }
        let kid = element[member: "kid"]?.stringValue
        return CheckedKey(kid: kid, algorithm: alg, thumbprint: "", material: .secretFromEnvironment(name),
                          span: document.span(keyIndex: index, member: "kEnv", valueOffset: nil, root: root), allowed: [alg])
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") }
    }

    static func rootReplacingKeys(_ root: JSONValue, with keys: [JSONValue]) -> JSONValue {
        guard case .object(let members, let span) = root else { return root }
        return .object(members.map { member in
            guard member.name == "keys", case .array(_, let arraySpan) = member.value else { return member }
            return JSONMember(name: member.name, nameSpan: member.nameSpan, value: .array(keys, span: arraySpan))
        }, span: span)
    }

    static func diagnostic(for issue: JWKSIssue, keyIndex: Int?, root: JSONValue, document: KeyDocument) -> Diagnostic {
        let span: SourceSpan
        if document.spansAreText, let offset = issue.textOffset, issue.valueOffset != nil || keyIndex == nil {
            span = document.span(textRange: offset..<(offset + 1))
        } else if let keyIndex {
            span = document.span(keyIndex: keyIndex, member: issue.member, valueOffset: issue.valueOffset, root: root)
        } else if let offset = issue.textOffset, document.spansAreText {
            span = document.span(textRange: offset..<(offset + 1))
        } else {
            span = document.wholeSpan
        }
        var message = issue.message
        var hint = issue.hint
        if let keyIndex, let original = issue.keyIndex, keyIndex != original {
            message = message.replacingFirst("key \(original)", with: "key \(keyIndex)")
        }
        // YAML folds a wrapped line into a space: say what really happened.
        if issue.code == "jwk.member.base64url", let member = issue.member, let offset = issue.valueOffset, endsLine(span) {
            message = issue.message.prefix(while: { $0 != ":" }) + ": `\(member)` is not valid base64url: a line break at offset \(offset); the value looks line-wrapped"
            hint = "join the lines of `\(member)` into one line"
        }
        if let url = document.fetchedURL {
            message = "`\(url)`: " + message.replacingOccurrences(of: "has leaked into the policy", with: "is published by the identity provider")
            if issue.code == "jwk.private-key-leaked" {
                hint = "the identity provider publishes a private key: it must be rotated there; never embed or trust this set"
            }
        }
        return Diagnostic(issue.severity == .error ? .error : .warning, code(for: issue.code), message, at: span, hint: hint)
    }

    /// Whether a span sits on a line break of its file.
    static func endsLine(_ span: SourceSpan) -> Bool {
        let bytes = span.file.bytes
        return span.start < bytes.count && (bytes[span.start] == UInt8(ascii: "\n") || bytes[span.start] == UInt8(ascii: "\r"))
    }

    /// JOSE's issue codes, grouped into the stable GP3xx codes.
    static func code(for joseCode: String) -> DiagnosticCode {
        switch joseCode {
        case "jwks.json.syntax": .jwksSyntax
        case "jwks.root.not-object", "jwks.keys.missing", "jwks.keys.not-array", "jwk.not-object", "jwk.member.missing", "jwk.member.type": .jwksStructure
        case "jwk.member.base64url": .keyEncoding
        case "jwk.rsa.modulus-too-small", "jwk.rsa.exponent-even", "jwk.rsa.exponent-too-small", "jwk.oct.secret-too-short": .keyWeak
        case "jwk.kty.unknown", "jwk.ec.curve-unknown", "jwk.okp.curve-unknown", "jwk.okp.curve-unsupported", "jwk.alg.unsupported", "jwk.use.unknown": .keyUnsupported
        case "jwk.alg.mismatch", "jwk.alg.none": .keyAlgorithmMismatch
        case "jwks.kid.duplicate": .duplicateKid
        case "jwk.private-key-leaked": .privateKeyLeaked
        case "jwk.use.enc", "jwk.key-ops.no-verify": .notVerificationKey
        case "jwks.no-verification-key": .noVerificationKey
        default: .keyInvalid
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

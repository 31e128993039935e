/// Validates a whole JSON Web Key Set (RFC 7517 §5), reporting every bad key.
///
/// Validation never stops at the first problem and never yields a half-built set:
/// ``JWKSResult/keys`` holds only keys without errors that are meant for verification.
public struct JWKSValidation {
    /// Limits for key set text (deep enough for any real set, bounded against abuse).
    public static let limits = JSONLimits(maxDepth: 16, maxBytes: 16 << 20)

    /// Parses and validates a JWKS from JSON text; syntax errors become issues with a `textOffset`.
    public static func validate(json text: [UInt8]) -> JWKSResult {
        let root: JSONValue
        do {
            root = try StrictJSON.parse(text, limits: limits)
        } catch {
            let hint: String? = error.kind == .lineBreakInString ? "join the wrapped lines of the value into one line" : nil
            let issue = JWKSIssue(
                severity: .error, code: "jwks.json.syntax", keyIndex: nil, kid: nil, member: nil,
                textOffset: error.offset, message: "the key set is not valid JSON: \(error.message)", hint: hint)
            return JWKSResult(keys: [], issues: [issue], root: nil)
        }
        return validate(root, textAvailable: true)
    }

    /// Validates an already-parsed JWKS (for example from the YAML front end).
    /// `textAvailable` says whether value spans are offsets into source text.
    public static func validate(_ value: JSONValue, textAvailable: Bool) -> JWKSResult {
        func setIssue(_ code: String, _ message: String, at node: JSONValue, member: String? = nil) -> JWKSResult {
            let issue = JWKSIssue(
                severity: .error, code: code, keyIndex: nil, kid: nil, member: member,
                textOffset: textAvailable ? node.span.lowerBound : nil, message: message,
                hint: "a key set is an object `{\"keys\": [...]}`")
            return JWKSResult(keys: [], issues: [issue], root: value)
        }
        guard value.members != nil else {
            return setIssue("jwks.root.not-object", "the key set must be a JSON object, not \(value.typeName)", at: value)
        }
        guard let keysValue = value[member: "keys"] else {
            return setIssue("jwks.keys.missing", "the key set has no `keys` member", at: value, member: "keys")
        }
        guard let elements = keysValue.elements else {
            return setIssue("jwks.keys.not-array", "`keys` must be an array, not \(keysValue.typeName)", at: keysValue, member: "keys")
        }

        var keys: [JWK] = []
        var issues: [JWKSIssue] = []
        var firstIndexByKid: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let kid = element[member: "kid"]?.stringValue
            var reporter = KeyIssueReporter(index: index, kid: kid, textAvailable: textAvailable)
            guard element.members != nil else {
                reporter.report("jwk.not-object", "a key must be a JSON object, not \(element.typeName)", member: nil, at: element)
                issues += reporter.issues
                continue
            }
            if let kidValue = element[member: "kid"], kid == nil {
                reporter.report("jwk.member.type", "`kid` must be a string, not \(kidValue.typeName)", member: "kid", at: kidValue)
            }
            if let kid {
                if let first = firstIndexByKid[kid] {
                    reporter.report(
                        "jwks.kid.duplicate", "duplicate `kid`: key \(first) has the same kid", member: "kid",
                        at: element[member: "kid"], hint: "give every key a unique `kid`; tokens select keys by kid")
                } else {
                    firstIndexByKid[kid] = index
                }
            }
            var reader = JWKReader(object: element, reporter: reporter)
            let outcome = reader.read()
            issues += reader.reporter.issues
            if !reader.reporter.hasErrors, outcome.isVerificationKey, let components = outcome.components {
                keys.append(JWK(components: components, kid: kid, alg: outcome.alg))
            }
        }
        if keys.isEmpty {
            issues.append(JWKSIssue(
                severity: .error, code: "jwks.no-verification-key", keyIndex: nil, kid: nil, member: "keys",
                textOffset: textAvailable ? keysValue.span.lowerBound : nil,
                message: "the key set has no valid verification key",
                hint: "add at least one public signature key (`use`: `sig` or no `use`)"))
        }
        return JWKSResult(keys: keys, issues: issues, root: value)
    }
}

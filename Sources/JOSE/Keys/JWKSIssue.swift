/// One problem found in a JWKS, located by key index, kid, member and byte offsets.
public struct JWKSIssue: Sendable, Error, Hashable {
    /// Whether the issue fails the set or only informs.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    /// Whether the issue fails the set.
    public let severity: Severity
    /// A stable identifier, such as `jwk.rsa.modulus-too-small` (see docs/jose.md).
    public let code: String
    /// The index of the key in `keys`, when the issue concerns one key.
    public let keyIndex: Int?
    /// The key's `kid`, when it has a string one.
    public let kid: String?
    /// The offending member, such as `n`.
    public let member: String?
    /// Byte offset inside the member's decoded string value (for example a line break).
    public let valueOffset: Int?
    /// Byte offset inside the source text, when the set came from text.
    public let textOffset: Int?
    /// A lowercase description without a trailing period, user input in backticks.
    public let message: String
    /// A suggestion for fixing the problem.
    public let hint: String?

    /// Creates an issue.
    public init(
        severity: Severity, code: String, keyIndex: Int?, kid: String?, member: String?,
        valueOffset: Int? = nil, textOffset: Int?, message: String, hint: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.keyIndex = keyIndex
        self.kid = kid
        self.member = member
        self.valueOffset = valueOffset
        self.textOffset = textOffset
        self.message = message
        self.hint = hint
    }
}

/// The outcome of validating a JWKS: every usable key and every problem.
public struct JWKSResult: Sendable {
    /// The valid verification keys, in set order.
    public let keys: [JWK]
    /// Every problem found, in set order.
    public let issues: [JWKSIssue]
    /// The parsed document, when it was parsed.
    public let root: JSONValue?

    /// Creates a result.
    public init(keys: [JWK], issues: [JWKSIssue], root: JSONValue?) {
        self.keys = keys
        self.issues = issues
        self.root = root
    }

    /// Whether any issue is an error.
    public var hasErrors: Bool { issues.contains { $0.severity == .error } }
}

/// Collects issues for one key, adding its index and kid to every message.
struct KeyIssueReporter {
    let index: Int
    let kid: String?
    let textAvailable: Bool
    var issues: [JWKSIssue] = []

    var prefix: String {
        if let kid { return "key \(index) (kid `\(kid)`)" }
        return "key \(index)"
    }

    var hasErrors: Bool { issues.contains { $0.severity == .error } }

    mutating func report(
        _ code: String, _ message: String, member: String?, at value: JSONValue?,
        valueOffset: Int? = nil, hint: String? = nil, severity: JWKSIssue.Severity = .error
    ) {
        issues.append(JWKSIssue(
            severity: severity, code: code, keyIndex: index, kid: kid, member: member,
            valueOffset: valueOffset, textOffset: textOffset(of: value, valueOffset: valueOffset),
            message: "\(prefix): \(message)", hint: hint
        ))
    }

    /// Maps an offset inside a string's decoded value to the source text when the
    /// source spelled it without escapes (quoted JSON or a plain YAML scalar).
    func textOffset(of value: JSONValue?, valueOffset: Int?) -> Int? {
        guard textAvailable, let value else { return nil }
        let span = value.span
        guard let valueOffset, case .string(let text, _) = value else { return span.lowerBound }
        let length = text.utf8.count
        if span.count == length + 2 { return span.lowerBound + 1 + valueOffset }
        if span.count == length { return span.lowerBound + valueOffset }
        return span.lowerBound
    }
}

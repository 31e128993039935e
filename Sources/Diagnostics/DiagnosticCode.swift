/// A stable diagnostic identifier, separate from the wording of any one message.
///
/// Codes are grouped by pipeline stage: `GP1xx` input and YAML, `GP2xx` structure of an
/// authentication entry, `GP3xx` keys, `GP4xx` claims, `GP5xx` rules, `GP6xx` the whole
/// policy set. `docs/diagnostics.md` lists every code with one line each; a test keeps the
/// two in step.
public struct DiagnosticCode: Sendable, Hashable, CustomStringConvertible {
    /// The code printed in brackets, such as `GP203`.
    public let id: String
    /// A short summary of the code, used by documentation and machine formats.
    public let title: String

    public init(_ id: String, _ title: String) {
        self.id = id
        self.title = title
    }

    public var description: String { id }

    public static func == (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension DiagnosticCode {
    // MARK: GP1xx: files and YAML
    public static let fileUnreadable = DiagnosticCode("GP100", "a file or directory cannot be read")
    public static let fileTooLarge = DiagnosticCode("GP101", "a file is larger than the size bound")
    public static let invalidUTF8 = DiagnosticCode("GP102", "a file is not valid UTF-8")
    public static let yamlSyntax = DiagnosticCode("GP103", "YAML syntax error")
    public static let duplicateKey = DiagnosticCode("GP104", "a key appears twice in one mapping")
    public static let anchorOrAlias = DiagnosticCode("GP105", "YAML anchors and aliases are not accepted")
    public static let unsupportedTag = DiagnosticCode("GP106", "a YAML tag outside the core schema")
    public static let nestingTooDeep = DiagnosticCode("GP107", "YAML nesting deeper than the bound")
    public static let noPolicyFiles = DiagnosticCode("GP108", "no policy files were found")
    public static let complexKey = DiagnosticCode("GP109", "a mapping key that is not a scalar")

    // MARK: GP2xx: structure of an authentication entry
    public static let unsupportedVersion = DiagnosticCode("GP200", "unsupported policy language version")
    public static let missingKey = DiagnosticCode("GP201", "a required key is missing")
    public static let wrongNodeKind = DiagnosticCode("GP202", "a value has the wrong kind (mapping, list or scalar)")
    public static let unknownKey = DiagnosticCode("GP203", "an unknown key")
    public static let invalidEnumValue = DiagnosticCode("GP204", "a value outside the allowed set")
    public static let invalidBoolean = DiagnosticCode("GP205", "a boolean other than `true` or `false`")
    public static let invalidInteger = DiagnosticCode("GP206", "an integer that is not plain decimal or out of range")
    public static let invalidDuration = DiagnosticCode("GP207", "a malformed duration")
    public static let jwksSourceCount = DiagnosticCode("GP208", "not exactly one key source: `jwks`, `jwksFile`, `jwksUri` or `discovery`")
    public static let jwksFileUnreadable = DiagnosticCode("GP209", "a `jwksFile` cannot be read")
    public static let duplicateName = DiagnosticCode("GP210", "an authentication name used twice in the set")
    public static let invalidName = DiagnosticCode("GP211", "an invalid authentication name")
    public static let emptyValue = DiagnosticCode("GP212", "an empty string where a value is required")
    public static let unsupportedAuthenticationType = DiagnosticCode("GP213", "an authentication type other than `jwt`")
    public static let duplicateValue = DiagnosticCode("GP214", "the same value listed twice")
    public static let invalidHeaderName = DiagnosticCode("GP215", "an invalid or reserved HTTP header name")
    public static let invalidTokenLocation = DiagnosticCode("GP216", "an invalid token location")
    public static let invalidKeyURL = DiagnosticCode("GP217", "a malformed `jwksUri`, or an issuer that cannot be used for discovery")
    public static let insecureKeyURL = DiagnosticCode("GP218", "a key URL that is not https (plain http only on loopback, with `allowInsecureJwksUri`)")
    public static let remoteSettingWithoutRemoteKeys = DiagnosticCode("GP219", "`jwksRefresh` or `allowInsecureJwksUri` without `jwksUri` or `discovery`")
    public static let invalidDomainPattern = DiagnosticCode("GP220", "an invalid rule domain")
    public static let invalidPathPattern = DiagnosticCode("GP221", "an invalid rule path")
    public static let invalidMethod = DiagnosticCode("GP222", "an unknown or malformed HTTP method in a rule")
    public static let jwksRefreshOrder = DiagnosticCode("GP223", "`jwksRefresh` intervals out of order (`min` ≤ `default` ≤ `max`)")

    // MARK: GP3xx: keys
    public static let jwksSyntax = DiagnosticCode("GP300", "a JWKS that is not valid JSON")
    public static let jwksStructure = DiagnosticCode("GP301", "a JWKS or key of the wrong shape")
    public static let keyEncoding = DiagnosticCode("GP302", "a key member that is not valid base64url")
    public static let keyWeak = DiagnosticCode("GP303", "a key too weak to accept")
    public static let keyInvalid = DiagnosticCode("GP304", "a key whose value is invalid for its type")
    public static let keyUnsupported = DiagnosticCode("GP305", "an unknown key type or curve")
    public static let keyAlgorithmMismatch = DiagnosticCode("GP306", "a key `alg` inconsistent with the key")
    public static let duplicateKid = DiagnosticCode("GP307", "two keys with the same `kid`")
    public static let privateKeyLeaked = DiagnosticCode("GP308", "private key material in a public JWKS")
    public static let notVerificationKey = DiagnosticCode("GP309", "a key that cannot verify signatures")
    public static let noVerificationKey = DiagnosticCode("GP310", "a JWKS with no verification key")
    public static let algorithmsMatchNoKey = DiagnosticCode("GP311", "allowed algorithms that no key can verify")
    public static let keysWithoutKid = DiagnosticCode("GP312", "several keys without `kid`")
    public static let secretFromEnvironment = DiagnosticCode("GP313", "an invalid environment-variable secret")
    public static let inlineSecret = DiagnosticCode("GP314", "an HMAC secret written into the policy")
    public static let remoteKeysNeedAlgorithms = DiagnosticCode("GP315", "remote keys without an `algorithms` allow-list")
    public static let remoteKeysUnavailable = DiagnosticCode("GP316", "a remote key set or discovery document that cannot be fetched or is refused")

    // MARK: GP4xx: claims
    public static let claimTypeConflict = DiagnosticCode("GP400", "claim requirements that need different types")
    public static let claimContradiction = DiagnosticCode("GP401", "claim requirements that can never hold together")
    public static let registeredTimeClaim = DiagnosticCode("GP402", "a requirement on `exp`, `nbf` or `iat`")
    public static let registeredClaimConflict = DiagnosticCode("GP403", "a requirement on `iss`, `sub` or `aud` that contradicts the entry")
    public static let forwardedClaimType = DiagnosticCode("GP404", "a forwarded claim that cannot be written as a header")
    public static let duplicateClaim = DiagnosticCode("GP405", "the same claim path declared twice")

    // MARK: GP5xx: rules
    public static let duplicateRule = DiagnosticCode("GP500", "a rule listed twice in one entry")
    public static let shadowedRule = DiagnosticCode("GP501", "a rule made redundant by a broader rule of the same entry")
    public static let blacklistWithoutRules = DiagnosticCode("GP502", "a blacklist entry without rules protects nothing")
    public static let whitelistMatchesEverything = DiagnosticCode("GP503", "a whitelist rule that matches every request")

    // MARK: GP6xx: the whole policy set
    public static let sharedIssuer = DiagnosticCode("GP600", "two enabled entries with the same issuer")
    public static let sharedIssuerDistinguished = DiagnosticCode("GP601", "entries sharing an issuer, told apart by audience or subject")
    public static let exemptionOverridden = DiagnosticCode("GP602", "a whitelist exemption that another entry still protects")
    public static let unscopedWhitelist = DiagnosticCode("GP603", "a whitelist entry without `hosts` that protects hosts other entries target")

    // MARK: GP7xx: policy tests
    public static let testCaseFailed = DiagnosticCode("GP700", "a policy test case whose decision differs from its expectation")
}

extension DiagnosticCode {
    /// Every code, in order. Documentation and tests iterate this list.
    public static let all: [DiagnosticCode] = [
        .fileUnreadable, .fileTooLarge, .invalidUTF8, .yamlSyntax, .duplicateKey, .anchorOrAlias,
        .unsupportedTag, .nestingTooDeep, .noPolicyFiles, .complexKey,
        .unsupportedVersion, .missingKey, .wrongNodeKind, .unknownKey, .invalidEnumValue,
        .invalidBoolean, .invalidInteger, .invalidDuration, .jwksSourceCount, .jwksFileUnreadable,
        .duplicateName, .invalidName, .emptyValue, .unsupportedAuthenticationType, .duplicateValue,
        .invalidHeaderName, .invalidTokenLocation, .invalidKeyURL, .insecureKeyURL, .remoteSettingWithoutRemoteKeys,
        .invalidDomainPattern, .invalidPathPattern, .invalidMethod, .jwksRefreshOrder,
        .jwksSyntax, .jwksStructure, .keyEncoding, .keyWeak, .keyInvalid, .keyUnsupported,
        .keyAlgorithmMismatch, .duplicateKid, .privateKeyLeaked, .notVerificationKey,
        .noVerificationKey, .algorithmsMatchNoKey, .keysWithoutKid, .secretFromEnvironment, .inlineSecret,
        .remoteKeysNeedAlgorithms, .remoteKeysUnavailable,
        .claimTypeConflict, .claimContradiction, .registeredTimeClaim, .registeredClaimConflict, .forwardedClaimType,
        .duplicateClaim,
        .duplicateRule, .shadowedRule, .blacklistWithoutRules, .whitelistMatchesEverything,
        .sharedIssuer, .sharedIssuerDistinguished, .exemptionOverridden, .unscopedWhitelist,
        .testCaseFailed,
    ]
}

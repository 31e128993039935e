import Diagnostics

/// Decodes one YAML document into an `AuthenticationEntry`, reporting every structural
/// problem of the document (never only the first).
struct EntryDecoder {
    static let supportedVersions = 1...1
    static let entryKeys = [
        "version", "name", "enabled", "type", "issuer", "subject", "audiences", "algorithms",
        "clockSkew", "requireExpiration", "maxLifetime", "jwks", "jwksFile", "jwksUri", "discovery",
        "allowInsecureJwksUri", "jwksRefresh", "token", "claims",
        "forwardClaims", "hosts", "allowCorsPreflight", "authorization",
    ]
    /// The keys an entry must have; one key source (`jwks`, `jwksFile`, `jwksUri` or
    /// `discovery`) comes on top.
    static let requiredEntryKeys = ["version", "name", "issuer", "authorization"]
    /// The values `type` may have.
    static let authenticationTypes = ["jwt"]
    /// `clockSkew` when not given, and the range of both durations, in seconds.
    static let defaultClockSkew = 60
    static let clockSkewRange = 0...86_400
    static let maxLifetimeRange = 1...(366 * 86_400)
    /// The JWS algorithms an allow-list may name (RFC 7518 and RFC 8037).
    static let algorithmNames = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA",
    ]

    var reader = ScalarReader()
    /// Loads a `jwksFile` relative to the policy file; supplied by the loader, which owns I/O.
    let loadKeyFile: (String, SourceFile) -> Result<SourceFile, KeyFileError>

    /// The entry's name (when readable, even if other parts failed), the entry itself
    /// when the document had no errors, and otherwise the parts that were read cleanly.
    mutating func decode(_ document: YAMLDocument) -> (name: Located<String>?, entry: AuthenticationEntry?, parts: EntryParts?) {
        let before = reader.diagnostics.errorCount
        // An unsupported version means the rest may follow other rules: stop there,
        // before unknown keys of that other version are reported.
        if let pairs = document.root.mapping, let node = pairs.first(where: { $0.keyText == "version" })?.value,
           !checkVersion(node) {
            return (nil, nil, nil)
        }
        guard let map = MappingReader(document.root, what: "authentication entry", known: Self.entryKeys, reader: &reader) else {
            return (nil, nil, nil)
        }
        guard let version = decodeVersion(map) else { return (nil, nil, nil) }

        let name = map.required("name", reader: &reader).flatMap { decodeName($0) }
        var enabled = Located(true, at: nil)
        if let node = map["enabled"], let value = reader.bool(node, what: "`enabled`") { enabled = value }
        if let node = map["type"], let type = reader.string(node, what: "`type`"), !Self.authenticationTypes.contains(type.value) {
            let hint = type.value.lowercased() == "jwt" ? "write `jwt` in lowercase" : "`jwt` is the only authentication type"
            reader.diagnostics.error(.unsupportedAuthenticationType, "unsupported authentication type `\(type.value)`", at: type.span, hint: hint)
        }
        let issuer = map.required("issuer", reader: &reader).flatMap { reader.nonEmptyString($0, what: "`issuer`") }
        let subject = map["subject"].flatMap { reader.nonEmptyString($0, what: "`subject`") }
        var errors = reader.diagnostics.errorCount
        /// True when the part just decoded added no error.
        func clean(_ reader: ScalarReader) -> Bool {
            defer { errors = reader.diagnostics.errorCount }
            return reader.diagnostics.errorCount == errors
        }
        let audiences = map["audiences"].map { decodeStringList($0, what: "`audiences`") } ?? []
        let audiencesClean = clean(reader)
        let algorithms = map["algorithms"].map { decodeAlgorithms($0) }
        let algorithmsClean = clean(reader)
        var clockSkew = Located(Self.defaultClockSkew, at: nil)
        if let node = map["clockSkew"], let value = reader.duration(node, what: "`clockSkew`", range: Self.clockSkewRange) { clockSkew = value }
        var requireExpiration = Located(true, at: nil)
        if let node = map["requireExpiration"], let value = reader.bool(node, what: "`requireExpiration`") { requireExpiration = value }
        let maxLifetime = map["maxLifetime"].flatMap { reader.duration($0, what: "`maxLifetime`", range: Self.maxLifetimeRange) }
        errors = reader.diagnostics.errorCount
        let keySource = decodeKeySource(map, file: document.span.file, issuer: issuer)
        let jwks = keySource.jwks, remoteKeys = keySource.remote
        if let remoteKey = keySource.remoteKey, map["algorithms"] == nil {
            let key = remoteKey.key.span
            reader.diagnostics.error(.remoteKeysNeedAlgorithms,
                                     "\(name.map { "`\($0.value)`" } ?? "this entry") fetches its keys at run time, so the compiler cannot infer the allowed algorithms from keys it has not seen",
                                     at: map.headSpan, notes: [DiagnosticNote("the keys come from here", at: key)],
                                     hint: "list them: `algorithms: [RS256]` (the algorithms your identity provider signs with)")
        }
        let tokens = map["token"].map { decodeTokenLocations($0) } ?? [TokenLocation.defaultLocation]
        errors = reader.diagnostics.errorCount
        let claims = map["claims"].map { decodeClaims($0) } ?? []
        let claimsClean = clean(reader)
        let forwardClaims = map["forwardClaims"].map { decodeForwardClaims($0) } ?? []
        let forwardClaimsClean = clean(reader)
        let hosts = map["hosts"].map { decodeHosts($0) }
        var allowCorsPreflight = Located(false, at: nil)
        if let node = map["allowCorsPreflight"], let value = reader.bool(node, what: "`allowCorsPreflight`") { allowCorsPreflight = value }
        let authorization = map.required("authorization", reader: &reader,
                                         hint: "add `authorization: { mode: whitelist, rules: [] }` or a blacklist with rules")
            .flatMap { decodeAuthorization($0) }
        let authorizationClean = clean(reader)

        guard reader.diagnostics.errorCount == before, let name, let issuer, keySource.valid, let authorization else {
            let parts = EntryParts(
                name: name, issuer: issuer, subject: subject, audiences: audiencesClean ? audiences : nil,
                algorithms: algorithmsClean ? algorithms : nil, jwks: jwks,
                claims: claimsClean ? claims : nil, forwardClaims: claimsClean && forwardClaimsClean ? forwardClaims : nil,
                authorization: authorizationClean ? authorization : nil, remoteKeys: remoteKeys)
            return (name, nil, parts)
        }
        return (name, AuthenticationEntry(
            span: document.span, version: version, name: name, enabled: enabled, issuer: issuer,
            subject: subject, audiences: audiences, algorithms: algorithms, clockSkew: clockSkew,
            requireExpiration: requireExpiration, maxLifetime: maxLifetime, jwks: jwks, remoteKeys: remoteKeys,
            tokenLocations: tokens, claims: claims, forwardClaims: forwardClaims, hosts: hosts,
            allowCorsPreflight: allowCorsPreflight, authorization: authorization), nil)
    }

    /// Reports a version that is malformed or unsupported; true when it is fine.
    mutating func checkVersion(_ node: YAMLNode) -> Bool {
        guard let version = reader.integer(node, what: "`version`", range: 0...Int.max) else { return false }
        guard Self.supportedVersions.contains(version.value) else {
            reader.diagnostics.error(.unsupportedVersion, "unsupported policy language version \(version.value)", at: node.span,
                                     hint: "this gatepass reads version 1")
            return false
        }
        return true
    }

    mutating func decodeVersion(_ map: MappingReader) -> Located<Int>? {
        guard let node = map.required("version", reader: &reader, hint: "start the entry with `version: 1`") else { return nil }
        guard case .scalar(let scalar) = node.kind, let value = ScalarReader.decimal(scalar.value) else { return nil }
        return Located(value, at: node.span)
    }

    mutating func decodeName(_ node: YAMLNode) -> Located<String>? {
        guard let name = reader.nonEmptyString(node, what: "`name`") else { return nil }
        let bytes = Array(name.value.utf8)
        let valid = bytes.count <= 128 && bytes.allSatisfy { byte in
            DomainPattern.isHostCharacter(byte) || byte == UInt8(ascii: ".")
        }
        if !valid || bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: ".") {
            reader.diagnostics.error(.invalidName, "invalid authentication name `\(name.value)`", at: node.span,
                                     hint: "a name has letters, digits, `-`, `_` and `.` (at most 128), and starts with a letter, digit or `_`; it appears in headers and reports")
            return nil
        }
        return name
    }

    mutating func decodeStringList(_ node: YAMLNode, what: String) -> [Located<String>] {
        guard let items = reader.list(node, what: what) else { return [] }
        var result: [Located<String>] = []
        for item in items {
            guard let text = reader.nonEmptyString(item, what: "an item of \(what)") else { continue }
            if let first = result.first(where: { $0.value == text.value }) {
                reader.diagnostics.error(.duplicateValue, "`\(text.value)` is listed twice in \(what)", at: item.span,
                                         notes: [DiagnosticNote("first listed here", at: first.span)])
                continue
            }
            result.append(text)
        }
        if items.isEmpty {
            reader.diagnostics.error(.emptyValue, "\(what) must not be an empty list", at: node.span,
                                     hint: "remove the key, or list at least one value")
        }
        return result
    }

    mutating func decodeAlgorithms(_ node: YAMLNode) -> [Located<String>] {
        let names = decodeStringList(node, what: "`algorithms`")
        return names.filter { name in
            if Self.algorithmNames.contains(name.value) { return true }
            if name.value.lowercased() == "none" {
                reader.diagnostics.error(.invalidEnumValue, "the algorithm `\(name.value)` is never allowed", at: name.span,
                                         hint: "unsigned tokens cannot authenticate anyone (RFC 8725 §3.1)")
                return false
            }
            var hint = "valid algorithms: " + Self.algorithmNames.joined(separator: ", ")
            if let guess = Suggestion.closest(to: name.value, in: Self.algorithmNames) { hint = "did you mean `\(guess)`? " + hint }
            reader.diagnostics.error(.invalidEnumValue, "`\(name.value)` is not a JWS signature algorithm", at: name.span, hint: hint)
            return false
        }
    }

    /// `jwks` or `jwksFile`, the entry's only key source.
    mutating func decodeJWKS(_ pair: YAMLPair, file: SourceFile) -> JWKSSource? {
        if pair.keyText == "jwks" {
            let inline = pair
            switch inline.value.kind {
            case .mapping: return .mapping(inline.value)
            case .scalar(let scalar) where !scalar.isNull: return .jsonText(inline.value)
            case .invalid: return nil
            default:
                reader.diagnostics.error(.wrongNodeKind, "`jwks` must be a mapping or a string holding JSON, not \(inline.value.kindDescription)",
                                         at: inline.value.span, hint: "write `jwks: { keys: [ … ] }`, or paste the JSON in a `|` block")
                return nil
            }
        } else {
            let path = pair
            guard let text = reader.nonEmptyString(path.value, what: "`jwksFile`") else { return nil }
            switch loadKeyFile(text.value, file) {
            case .success(let keyFile):
                return .file(path: text, file: keyFile)
            case .failure(let error):
                reader.diagnostics.error(.jwksFileUnreadable, "cannot read `jwksFile` `\(text.value)`: \(error.reason)", at: text.span,
                                         hint: "the path is relative to this policy file's folder")
                return nil
            }
        }
    }
}

/// Why a `jwksFile` could not be loaded.
public struct KeyFileError: Error, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}

extension TokenLocation {
    /// The console's default: the `Authorization` header with the `Bearer ` prefix, not passed through.
    static let defaultLocation = TokenLocation(source: .header, name: "Authorization", prefix: "Bearer ", passthrough: false, span: nil)
}

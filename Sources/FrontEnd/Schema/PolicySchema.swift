import Diagnostics

/// The JSON Schema of one authentication entry (one YAML document of a policy file),
/// built from the decoder's own tables: its keys, required keys, enumerations, defaults
/// and ranges. The wording follows docs/policy-language.md.
enum PolicySchema {
    typealias S = JSONSchema

    static var document: JSONOutput {
        var root = entry
        guard case .object(let members) = root else { return root }
        root = .object([
            ("$schema", .string(S.dialect)),
            ("title", .string("Gatepass authentication entry")),
            ("$defs", .object(definitions)),
        ] + members)
        return root
    }

    static var definitions: [(String, JSONOutput)] {
        [
            ("text", SharedSchemaDefinitions.text),
            ("nonEmptyText", SharedSchemaDefinitions.nonEmptyText),
            ("duration", duration),
            ("jwksRefresh", jwksRefresh),
            ("tokenLocation", tokenLocation),
            ("authorization", authorization),
            ("rule", rule),
            ("claimRequirements", claimRequirements),
            ("claimValue", S.node("a string, number or boolean, typed YAML 1.2 style; quote a value to make it a string",
                                  S.type("string", "number", "boolean"))),
            ("headerName", headerName),
        ]
    }

    static let entry = S.mapping(
        "One authentication entry: an issuer, its keys, where the token is read from, and which domain + path pairs need it.",
        keys: EntryDecoder.entryKeys, required: EntryDecoder.requiredEntryKeys, properties: [
            "version": S.node("Required; the policy language version. This gatepass reads version 1.",
                              S.type("integer"), ("enum", .array(EntryDecoder.supportedVersions.map { .int($0) }))),
            "name": S.node("Required; the entry's name, unique across the whole policy set. Letters, digits, `-`, `_` and `.` (at most 128), starting with a letter, digit or `_`; it appears in headers and reports.",
                           S.type("string", "number", "boolean"), S.string("pattern", "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"), S.integer("maxLength", 128)),
            "enabled": S.node("Disabled entries are checked but not emitted.", S.type("boolean"), ("default", .bool(true))),
            "type": S.node("The authentication type; `jwt` is the only one.", S.enumeration(EntryDecoder.authenticationTypes),
                           S.string("default", EntryDecoder.authenticationTypes[0])),
            "issuer": S.node("Required; the token's `iss` must equal it.", S.ref("nonEmptyText")),
            "subject": S.node("The token's `sub` must equal it.", S.ref("nonEmptyText")),
            "audiences": S.list("The token's `aud` must contain one of them.", of: .object([S.ref("nonEmptyText")]), minItems: 1, unique: true),
            "algorithms": S.list("An allow-list of JWS algorithms; by default, what the keys allow. `none` is never allowed.",
                                 of: .object([S.enumeration(EntryDecoder.algorithmNames)]), minItems: 1, unique: true),
            "clockSkew": durationProperty("Clock skew tolerated for `exp`, `nbf` and `iat`; default \(EntryDecoder.defaultClockSkew)s, at most \(ScalarReader.formatDuration(EntryDecoder.clockSkewRange.upperBound)).",
                                          range: EntryDecoder.clockSkewRange, default: EntryDecoder.defaultClockSkew),
            "requireExpiration": S.node("Tokens without `exp` are refused.", S.type("boolean"), ("default", .bool(true))),
            "maxLifetime": durationProperty("An optional bound on `exp - iat`, at most \(ScalarReader.formatDuration(EntryDecoder.maxLifetimeRange.upperBound)).", range: EntryDecoder.maxLifetimeRange),
            "jwks": S.node("The keys: a JWKS as a YAML mapping (`{ keys: [ … ] }`), or a string holding the JSON exactly as the console shows it (use a `|` block). Give exactly one of `jwks`, `jwksFile`, `jwksUri` and `discovery: true`.",
                           S.oneOf(
                               S.node("a JWKS written as a YAML mapping", S.type("object"),
                                      ("required", .array([.string("keys")])),
                                      ("properties", .object([("keys", S.list("the keys (JWKs)", of: .object([
                                          S.type("object"), ("required", .array([.string("kty")])),
                                      ])))]))),
                               S.node("a JWKS as JSON text", S.type("string"), S.string("contentMediaType", "application/json"),
                                      S.string("pattern", "[^ \\t\\n\\r]")))),
            "jwksFile": S.node("A JSON file holding the JWKS, relative to this policy file's folder. Give exactly one of `jwks`, `jwksFile`, `jwksUri` and `discovery: true`.",
                               S.ref("nonEmptyText")),
            "jwksUri": S.node("The URL the runtime fetches the JWKS from (and refreshes): https, or plain http to a loopback address (localhost, 127.0.0.0/8, [::1]) with `allowInsecureJwksUri`. No userinfo, no fragment. Needs `algorithms`.",
                              S.type("string"), S.string("pattern", "^https?://[!-~]+$")),
            "discovery": S.node("`true`: the runtime fetches `<issuer>/.well-known/openid-configuration` (its `issuer` must equal this entry's) and the JWKS its `jwks_uri` names. Needs `algorithms`.",
                                S.type("boolean"), ("default", .bool(false))),
            "allowInsecureJwksUri": S.node("Accept a plain http `jwksUri` (or discovery) to a loopback address, for tests and sidecars; http to any other host is refused even with it. Only with `jwksUri` or `discovery`.",
                                           S.type("boolean"), ("default", .bool(false))),
            "jwksRefresh": S.node("How the runtime refreshes remote keys; only with `jwksUri` or `discovery`.", S.ref("jwksRefresh")),
            "token": S.node("Where the token is read from: one location or a list of locations, all of which are read. Default: the `Authorization` header with the `Bearer ` prefix.",
                            S.oneOf(.object([S.ref("tokenLocation")]),
                                    S.list("token locations", of: .object([S.ref("tokenLocation")]), minItems: 1))),
            "claims": S.node("Maps a claim to its requirements. A claim name with dots is a path into nested objects (`realm_access.roles`); `\\.` is a literal dot and `\\\\` a backslash.",
                             S.type("object"), ("propertyNames", claimName), ("additionalProperties", .object([S.ref("claimRequirements")]))),
            "forwardClaims": S.node("Maps a claim to the request header that carries it to the backend.",
                                    S.type("object"), ("propertyNames", claimName), ("additionalProperties", .object([S.ref("headerName")]))),
            "hosts": S.list("The hosts the entry applies to, in either mode (domain patterns as in rules). Without `hosts` the entry applies to every host, as the console's global authentication does; beyond the console.",
                            of: .object([("type", .array([.string("string"), .string("number"), .string("boolean")])),
                                         ("pattern", .string("^(?:\\*|(?:\\*\\.)?[A-Za-z0-9_-]{1,63}(?:\\.[A-Za-z0-9_-]{1,63})*)$"))]),
                            minItems: 1, unique: true),
            "allowCorsPreflight": S.node("CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method` headers) pass this entry without a token, as Envoy's `bypass_cors_preflight` does; beyond the console.",
                                         S.type("boolean"), ("default", .bool(false))),
            "authorization": S.node("Required; the console's Authorization section: a mode and its rules.", S.ref("authorization")),
        ],
        ("oneOf", .array([
            .object([("required", .array([.string("jwks")]))]),
            .object([("required", .array([.string("jwksFile")]))]),
            .object([("required", .array([.string("jwksUri")]))]),
            .object([("required", .array([.string("discovery")])), ("properties", .object([("discovery", .object([("const", .bool(true))]))]))]),
        ])))

    static let jwksRefresh = S.mapping(
        "The refresh of remote keys: `min` ≤ `default` ≤ `max`; every duration at least 1s.",
        keys: EntryDecoder.refreshKeys, required: [], properties: [
            "default": refreshProperty("The refresh interval when the response has no caching headers; default 10m.", default: 600),
            "min": refreshProperty("The shortest interval taken from caching headers (`Cache-Control: max-age`); default 1m.", default: 60),
            "max": refreshProperty("The longest interval taken from caching headers; default 1h.", default: 3600),
            "maxStale": refreshProperty("How long the last good key set keeps serving while fetches fail; default 24h.", default: 86_400),
            "cooldown": refreshProperty("The least time between two fetches caused by tokens with an unknown `kid`; default 30s.", default: 30),
        ])

    static func refreshProperty(_ description: String, default value: Int) -> JSONOutput {
        durationProperty(description, range: EntryDecoder.refreshRange, default: value)
    }

    static let duration = S.node(
        "A duration: `90s`, `5m`, `1h`, `1h30m`, `1d` (units in decreasing order, each at most once) or a whole number of seconds.",
        S.oneOf(
            S.node("seconds", S.type("integer"), S.integer("minimum", 0)),
            S.node("a duration with units, or seconds as a string", S.type("string"), S.integer("minLength", 1),
                   S.string("pattern", "^(?:0|[1-9][0-9]{0,17}|(?:(?:0|[1-9][0-9]{0,5})d)?(?:(?:0|[1-9][0-9]{0,5})h)?(?:(?:0|[1-9][0-9]{0,5})m)?(?:(?:0|[1-9][0-9]{0,5})s)?)$"))))

    static func durationProperty(_ description: String, range: ClosedRange<Int>, default value: Int? = nil) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("description", .string(description)),
            ("$ref", .string("#/$defs/duration")),
            ("if", .object([S.type("integer")])),
            ("then", .object([S.integer("minimum", range.lowerBound), S.integer("maximum", range.upperBound)])),
        ]
        if let value { members.append(("default", .int(value))) }
        return .object(members)
    }

    static let tokenLocation = S.mapping(
        "Where a token is read from in a request.",
        keys: EntryDecoder.tokenKeys, required: [], properties: [
            "from": S.node("The kind of location.", S.enumeration(TokenLocation.Source.allCases.map(\.rawValue)),
                           S.string("default", TokenLocation.defaultLocation.source.rawValue)),
            "name": S.node("The header, query parameter or cookie name. Header names are case-insensitive; query parameter and cookie names are case-sensitive.",
                           S.type("string", "number", "boolean"), S.string("pattern", SharedSchemaDefinitions.tokenPattern),
                           S.string("default", TokenLocation.defaultLocation.name)),
            "prefix": S.node("Stripped before validation, compared case-insensitively for headers. Default `Bearer ` for the `Authorization` header, empty otherwise; `null` is empty.",
                             S.type("string", "number", "boolean", "null")),
            "passthrough": S.node("Whether the token is forwarded to the backend after validation; by default it is removed.",
                                  S.type("boolean"), ("default", .bool(TokenLocation.defaultLocation.passthrough))),
        ])

    static let authorization = S.mapping(
        "In whitelist mode, requests matching a rule skip authentication and all others need it; in blacklist mode only requests matching a rule need it.",
        keys: EntryDecoder.authorizationKeys, required: EntryDecoder.requiredAuthorizationKeys, properties: [
            "mode": S.node("Required; `whitelist` or `blacklist`.", S.enumeration(Authorization.Mode.allCases.map(\.rawValue))),
            "rules": S.node("Domain + path conditions; a request matches a rule when both its domain and its path match.",
                            S.type("array", "null"), ("items", .object([S.ref("rule")]))),
        ])

    static let rule = S.mapping(
        "One domain + path rule condition.",
        keys: EntryDecoder.ruleKeys, required: [], properties: [
            "domain": S.node("An exact host (`api.example.com`), `*.example.com` for one or more whole labels below `example.com`, or `*`/omitted for any host. Compared case-insensitively; no port, scheme or path; IDNs in punycode.",
                             S.type("string", "number", "boolean"),
                             S.string("pattern", "^(?:\\*|(?:\\*\\.)?[A-Za-z0-9_-]{1,63}(?:\\.[A-Za-z0-9_-]{1,63})*)$"), S.integer("maxLength", 253)),
            "path": S.node("Exact (`/users/list`); `*` stands for exactly one whole segment (`/users/*/profile`); a trailing `/**` matches the path itself and everything below it. Must start with `/`; no `?`, `#`, `;`, `\\`. Omitted means any path.",
                           S.type("string"), S.string("pattern", "^/[ -\"$-:<->@-\\[\\]-~]*$")),
            "methods": S.list("The request methods the rule matches (upper case, case-sensitive); without `methods`, any method. Beyond the console.",
                              of: .object([S.enumeration(HTTPMethods.known)]), minItems: 1, unique: true),
            "ignoreCase": S.node("Compare the path case-insensitively. The default is the safe direction for the mode: `true` in blacklist mode, `false` in whitelist mode.",
                                 S.type("boolean")),
        ])

    static let claimName = S.node(
        "a claim name or a dotted path; `\\.` is a literal dot and `\\\\` a backslash",
        S.type("string"), S.string("pattern", "^(?:[^.\\\\]|\\\\[.\\\\])+(?:\\.(?:[^.\\\\]|\\\\[.\\\\])+)*$"))

    static let claimRequirements = S.mapping(
        "The requirements on one claim.",
        keys: EntryDecoder.requirementKeys, required: [], properties: [
            "type": S.node("The claim's declared type.", S.enumeration(ClaimType.allCases.map(\.rawValue))),
            "equals": S.node("The claim equals this value.", S.ref("claimValue")),
            "oneOf": S.list("The claim equals one of these values.", of: .object([S.ref("claimValue")]), minItems: 1),
            "contains": S.node("An element of an array claim, or a word of a space-delimited string such as OAuth `scope`.", S.ref("claimValue")),
            "containsAll": S.list("The claim contains every one of these values.", of: .object([S.ref("claimValue")]), minItems: 1),
            "containsAny": S.list("The claim contains at least one of these values.", of: .object([S.ref("claimValue")]), minItems: 1),
            "atLeast": S.node("The claim is a number at least this large.", S.type("number")),
            "atMost": S.node("The claim is a number at most this large.", S.type("number")),
            "present": S.node("The claim must be present.", ("const", .bool(true))),
            "absent": S.node("The claim must be absent.", ("const", .bool(true))),
        ],
        S.integer("minProperties", 1))

    static let headerName = S.node(
        "A request header name (case-insensitive, a valid HTTP field name). Headers that steer routing, framing or authentication are refused.",
        S.type("string", "number", "boolean"), S.string("pattern", SharedSchemaDefinitions.tokenPattern),
        ("not", .object([S.string("pattern", S.caseInsensitivePattern(words: Array(EntryDecoder.reservedHeaders), prefixes: EntryDecoder.reservedHeaderPrefixes))])))
}

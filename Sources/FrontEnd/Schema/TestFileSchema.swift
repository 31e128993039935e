import Diagnostics

/// The JSON Schema of a policy test file (`*.test.yaml`), built from the test decoder's
/// tables. The wording follows docs/ci.md.
enum TestFileSchema {
    typealias S = JSONSchema
    typealias D = TestFileDecoder

    static var document: JSONOutput {
        guard case .object(let members) = file else { return file }
        return .object([
            ("$schema", .string(S.dialect)),
            ("title", .string("Gatepass policy test file")),
            ("$defs", .object(definitions)),
        ] + members)
    }

    static var definitions: [(String, JSONOutput)] {
        [
            ("text", SharedSchemaDefinitions.text),
            ("nonEmptyText", SharedSchemaDefinitions.nonEmptyText),
            ("namedValues", SharedSchemaDefinitions.namedValues),
            ("signingKey", signingKey),
            ("case", testCase),
            ("request", request),
            ("token", token),
            ("tokenLocation", tokenLocation),
            ("expect", expect),
            ("expectHeaders", expectHeaders),
            ("expectRemoved", expectRemoved),
            ("textContains", textContains),
        ]
    }

    static let file = S.mapping(
        "Policy test cases (`*.test.yaml`): requests, the tokens they carry, and what must happen to them.",
        keys: D.fileKeys, required: D.requiredFileKeys, properties: [
            "version": S.node("Required; the test file version. This gatepass reads version 1.", S.type("integer"),
                              ("enum", .array([.int(D.version)]))),
            "now": S.node("The file's clock, in seconds since the epoch; `gatepass test --now` overrides it.", S.type("integer"),
                          S.integer("minimum", D.nowRange.lowerBound), S.integer("maximum", D.nowRange.upperBound)),
            "signingKeys": S.list("Keys generated afresh for every run: no private key is committed.", of: .object([S.ref("signingKey")])),
            "cases": S.list("Required; the test cases.", of: .object([S.ref("case")])),
        ])

    static let signingKey = S.mapping(
        "A signing key generated for the run. With `entry`, its public key (or secret) is added to that entry in memory only; without, no entry trusts it.",
        keys: D.keyKeys, required: D.requiredKeyKeys, properties: [
            "name": S.node("Required; the name cases use in `token.key`.", S.ref("nonEmptyText")),
            "entry": S.node("The entry that trusts this key during the run.", S.ref("nonEmptyText")),
            "algorithm": S.node("Required; the JWS algorithm of the key.", S.enumeration(D.signingAlgorithms)),
            "kid": S.node("The key id in the token header.", S.ref("nonEmptyText")),
        ])

    static let testCase = S.mapping(
        "One request and what must happen to it.",
        keys: D.caseKeys, required: D.requiredCaseKeys, properties: [
            "name": S.node("Required; the case's name in reports.", S.ref("nonEmptyText")),
            "request": S.node("Required; the request.", S.ref("request")),
            "token": S.node("The token the request carries: signed by the run, or a literal token.", S.ref("token")),
            "expect": S.node("Required; what must happen, such as `{ decision: allow }`.", S.ref("expect")),
        ])

    static let request = S.mapping(
        "The request a case sends.",
        keys: D.requestKeys, required: D.requiredRequestKeys, properties: [
            "method": S.node("The request method.", S.ref("nonEmptyText"), S.string("default", "GET")),
            "host": S.node("The request's host; omitted means a request without a host.", S.ref("text")),
            "path": S.node("Required; the path and query, as sent.", S.ref("nonEmptyText")),
            "headers": S.node("Request headers.", S.ref("namedValues")),
            "cookies": S.node("Request cookies.", S.ref("namedValues")),
        ])

    static let token = S.node(
        "A literal token (`eyJ…`), or a mapping naming a signing key or a literal `value`.",
        S.oneOf(
            S.node("a literal token", S.ref("nonEmptyText")),
            S.mapping(
                "a token signed by the run, or a literal token with a location",
                keys: D.tokenKeys, required: [], properties: [
                    "key": S.node("The signing key, by name.", S.ref("nonEmptyText")),
                    "header": S.node("Extra header members; `kid` and `alg` come from the key.", S.type("object")),
                    "claims": S.node("Claims; by default the entry's `issuer`, `subject` and first audience, `iat` now and `exp` one hour later. A claim given as `null` is left out; `\(D.timeClaims.joined(separator: "`, `"))` accept relative times (`+1h`, `-5m`, `+90s`) from the case's clock.",
                                     S.type("object")),
                    "value": S.node("A literal token instead of a signed one.", S.ref("nonEmptyText")),
                    "in": S.node("Where to put the token; default: the entry's first token location.", S.ref("tokenLocation")),
                ],
                ("anyOf", .array([.object([("required", .array([.string("key")]))]), .object([("required", .array([.string("value")]))])])))))

    static let tokenLocation = S.mapping(
        "Where the case puts the token.",
        keys: D.locationKeys, required: [], properties: [
            "from": S.node("The kind of location.", S.enumeration(TokenLocation.Source.allCases.map(\.rawValue)),
                           S.string("default", TokenLocation.defaultLocation.source.rawValue)),
            "name": S.node("The header, query parameter or cookie name.", S.ref("nonEmptyText"),
                           S.string("default", TokenLocation.defaultLocation.name)),
            "prefix": S.node("Written before the token; default `Bearer ` for the `Authorization` header, empty otherwise.", S.ref("text")),
        ])

    static let expect = S.mapping(
        "What a case expects; members not given are not checked.",
        keys: D.expectKeys, required: [], properties: [
            "decision": S.node("`allow` or `deny`.", S.enumeration(D.decisions)),
            "status": S.node("The HTTP status.", S.type("integer"),
                             S.integer("minimum", D.statusRange.lowerBound), S.integer("maximum", D.statusRange.upperBound)),
            "reason": S.node("The decision's reason code, such as `token_missing`.", S.ref("nonEmptyText")),
            "entry": S.node("The deciding entry's name; `null` expects no entry.",
                            S.oneOf(.object([S.ref("nonEmptyText")]), .object([S.type("null")]))),
            "headers": S.node("Header mutations.", S.ref("expectHeaders")),
            "query": S.node("Query parameters the decision removes (the token, unless passed through).", S.ref("expectRemoved")),
            "cookies": S.node("Cookies the decision removes (the token, unless passed through).", S.ref("expectRemoved")),
            "wwwAuthenticate": S.node("The `WWW-Authenticate` value clients get: exactly this string, or `{ contains: … }`.",
                                      S.oneOf(.object([S.ref("nonEmptyText")]), .object([S.ref("textContains")]))),
            "message": S.node("A part of the operator's message: `{ contains: … }`.", S.ref("textContains")),
        ])

    static let expectRemoved = S.mapping(
        "Names the decision removes; others may be removed too.",
        keys: D.expectRemoveKeys, required: ["remove"], properties: [
            "remove": S.list("Names removed.", of: .object([S.ref("nonEmptyText")])),
        ])

    static let textContains = S.mapping(
        "A text that must contain this part.",
        keys: D.textExpectationKeys, required: ["contains"], properties: [
            "contains": S.node("The part the text must contain.", S.ref("nonEmptyText")),
        ])

    static let expectHeaders = S.mapping(
        "The headers the decision sets and removes.",
        keys: D.expectHeaderKeys, required: [], properties: [
            "set": S.node("Headers set, by name.", S.ref("namedValues")),
            "remove": S.list("Header names removed.", of: .object([S.ref("nonEmptyText")])),
        ])
}

import Diagnostics

/// An entry's key source: exactly one of `jwks`, `jwksFile` (keys in the policy),
/// `jwksUri` or `discovery: true` (keys fetched at run time), and the settings of a remote
/// source (`jwksRefresh`, `allowInsecureJwksUri`), which no other source may carry.
extension EntryDecoder {
    static let keySourceKeys = ["jwks", "jwksFile", "jwksUri", "discovery"]
    static let refreshKeys = ["default", "min", "max", "maxStale", "cooldown"]
    /// Every `jwksRefresh` duration: from one second (for tests) to a year.
    static let refreshRange = 1...(366 * 86_400)
    /// The path of an OpenID Provider's configuration below its issuer (OpenID Connect Discovery 1.0 §4).
    public static let discoveryPath = "/.well-known/openid-configuration"

    /// The decoded key source; `valid` is false when it had an error (already reported).
    struct KeySource {
        var jwks: JWKSSource?
        var remote: RemoteKeySource?
        var valid: Bool
        /// The `jwksUri` or `discovery: true` key when it is the only source, even when its
        /// value had an error: the entry needs `algorithms` either way.
        var remoteKey: YAMLPair?
    }

    mutating func decodeKeySource(_ map: MappingReader, file: SourceFile, issuer: Located<String>?) -> KeySource {
        // In document order, so the second one written is where the error points.
        var given = Self.keySourceKeys.compactMap { map.pair($0) }.sorted { $0.key.span.start < $1.key.span.start }
        // `discovery: false` is no source at all.
        given.removeAll { pair in
            pair.keyText == "discovery" && pair.value.scalar.map { $0.isPlain && $0.value == "false" } == true
        }
        let insecure = map.pair("allowInsecureJwksUri")
        let refresh = map.pair("jwksRefresh")
        let sources = "`jwks`, `jwksFile`, `jwksUri` or `discovery: true`"
        switch given.count {
        case 0:
            if !map.misspelled.isDisjoint(with: Self.keySourceKeys) { return KeySource(valid: false) }
            reader.diagnostics.error(.jwksSourceCount, "the entry has no keys: give one of \(sources)", at: map.headSpan,
                                     hint: "paste the JWKS under `jwks:`, name a JSON file with `jwksFile:`, or let the runtime fetch the keys with `jwksUri:` or `discovery: true`")
            return KeySource(valid: false)
        case 1:
            break
        default:
            let names = given.map { "`\($0.keyText ?? "")`" }.joined(separator: " and ")
            reader.diagnostics.error(.jwksSourceCount, "give exactly one key source (\(sources)), not \(names)", at: given[1].key.span,
                                     notes: given.enumerated().filter { $0.offset != 1 }.map { DiagnosticNote("`\($0.element.keyText ?? "")` is given here", at: $0.element.key.span) },
                                     hint: "keys in the policy (`jwks`, `jwksFile`) and keys fetched at run time (`jwksUri`, `discovery`) do not mix")
            return KeySource(valid: false)
        }
        let pair = given[0]
        switch pair.keyText {
        case "jwks", "jwksFile":
            var valid = true
            for setting in [insecure, refresh].compactMap({ $0 }) {
                reader.diagnostics.error(.remoteSettingWithoutRemoteKeys, "`\(setting.keyText ?? "")` applies only to keys fetched at run time",
                                         at: setting.key.span, notes: [DiagnosticNote("the keys are given in the policy here", at: pair.key.span)],
                                         hint: "remove it, or replace `\(pair.keyText ?? "")` with `jwksUri:` or `discovery: true`")
                valid = false
            }
            let jwks = decodeJWKS(pair, file: file)
            return KeySource(jwks: jwks, valid: valid && jwks != nil)
        default:
            var allowInsecure = Located(false, at: nil)
            var valid = true
            if let insecure {
                if let value = reader.bool(insecure.value, what: "`allowInsecureJwksUri`") { allowInsecure = value } else { valid = false }
            }
            let settings = refresh.map { decodeRefresh($0.value) } ?? KeyRefresh.defaults
            if settings == nil { valid = false }
            let remote = pair.keyText == "jwksUri"
                ? decodeJwksUri(pair.value, allowInsecure: allowInsecure)
                : decodeDiscovery(pair.value, issuer: issuer, allowInsecure: allowInsecure)
            guard valid, let (kind, url) = remote, let settings else { return KeySource(valid: false, remoteKey: pair) }
            return KeySource(remote: RemoteKeySource(kind: kind, url: url, span: pair.value.span, allowInsecure: allowInsecure,
                                                     refresh: settings, fetchedAt: nil), valid: true, remoteKey: pair)
        }
    }

    mutating func decodeJwksUri(_ node: YAMLNode, allowInsecure: Located<Bool>) -> (RemoteKeySource.Kind, KeyURL)? {
        guard let text = reader.nonEmptyString(node, what: "`jwksUri`") else { return nil }
        switch KeyURL.parse(text.value) {
        case .failure(let error):
            reader.diagnostics.error(.invalidKeyURL, "`jwksUri` \(error.message)", at: node.span, hint: error.hint)
            return nil
        case .success(let url):
            if let problem = KeyURLPolicy.problem(with: url, allowInsecure: allowInsecure.value) {
                reader.diagnostics.error(.insecureKeyURL, "`jwksUri` \(problem.message)", at: node.span,
                                         notes: allowInsecure.span.map { [DiagnosticNote("`allowInsecureJwksUri` is set here", at: $0)] } ?? [],
                                         hint: problem.hint)
                return nil
            }
            return (.jwksUri, url)
        }
    }

    /// `discovery: true`: the issuer's OpenID configuration, whose URL must pass the same rules.
    mutating func decodeDiscovery(_ node: YAMLNode, issuer: Located<String>?, allowInsecure: Located<Bool>) -> (RemoteKeySource.Kind, KeyURL)? {
        guard let flag = reader.bool(node, what: "`discovery`") else { return nil }
        guard flag.value, let issuer else { return nil }
        var base = issuer.value
        while base.hasSuffix("/") { base.removeLast() }
        let issuerNote = issuer.span.map { [DiagnosticNote("the issuer is given here", at: $0)] } ?? []
        if base.contains("?") {
            reader.diagnostics.error(.invalidKeyURL, "`discovery` needs an issuer without a query, not `\(issuer.value.displayEscaped)`", at: node.span,
                                     notes: issuerNote, hint: "give the JWKS URL with `jwksUri:` instead")
            return nil
        }
        switch KeyURL.parse(base + Self.discoveryPath) {
        case .failure(let error):
            reader.diagnostics.error(.invalidKeyURL, "`discovery` needs the issuer to be a URL, but `\(issuer.value.displayEscaped)` \(error.message)",
                                     at: node.span, notes: issuerNote, hint: "give the JWKS URL with `jwksUri:` instead, or fix the issuer: \(error.hint)")
            return nil
        case .success(let url):
            if let problem = KeyURLPolicy.problem(with: url, allowInsecure: allowInsecure.value) {
                reader.diagnostics.error(.insecureKeyURL, "`discovery` would fetch \(problem.message)", at: node.span,
                                         notes: issuerNote + (allowInsecure.span.map { [DiagnosticNote("`allowInsecureJwksUri` is set here", at: $0)] } ?? []),
                                         hint: problem.hint)
                return nil
            }
            return (.discovery, url)
        }
    }

    /// `jwksRefresh: {default, min, max, maxStale, cooldown}`, each defaulted, with `min ≤ default ≤ max`.
    mutating func decodeRefresh(_ node: YAMLNode) -> KeyRefresh? {
        guard let map = MappingReader(node, what: "`jwksRefresh`", known: Self.refreshKeys, reader: &reader) else { return nil }
        let before = reader.diagnostics.errorCount
        var refresh = KeyRefresh.defaults
        func read(_ key: String, into value: inout Located<Int>) {
            guard let node = map[key], let duration = reader.duration(node, what: "`jwksRefresh.\(key)`", range: Self.refreshRange) else { return }
            value = duration
        }
        read("default", into: &refresh.defaultInterval)
        read("min", into: &refresh.minInterval)
        read("max", into: &refresh.maxInterval)
        read("maxStale", into: &refresh.maxStale)
        read("cooldown", into: &refresh.cooldown)
        guard reader.diagnostics.errorCount == before else { return nil }
        func shown(_ key: String, _ value: Located<Int>) -> String {
            "`\(key)` (\(ScalarReader.formatDuration(value.value))\(value.span == nil ? ", the default" : ""))"
        }
        func order(_ lowKey: String, _ low: Located<Int>, _ highKey: String, _ high: Located<Int>) -> Bool {
            guard low.value > high.value else { return true }
            // Report at the value that was written (the later one when both were).
            let (at, other) = high.span != nil ? (high.span, low.span) : (low.span, high.span)
            reader.diagnostics.error(.jwksRefreshOrder, "`jwksRefresh` needs `\(lowKey)` ≤ `\(highKey)`, but \(shown(lowKey, low)) is longer than \(shown(highKey, high))",
                                     at: at ?? map.headSpan, notes: other.map { [DiagnosticNote("`\(at == high.span ? lowKey : highKey)` is given here", at: $0)] } ?? [],
                                     hint: "the refresh interval from caching headers is clamped to [`min`, `max`], and `default` must lie in it")
            return false
        }
        guard order("min", refresh.minInterval, "default", refresh.defaultInterval),
              order("default", refresh.defaultInterval, "max", refresh.maxInterval) else { return nil }
        return refresh
    }
}

import Diagnostics

extension EntryDecoder {
    static let tokenKeys = ["from", "name", "prefix", "passthrough"]
    static let authorizationKeys = ["mode", "rules"]
    static let ruleKeys = ["domain", "path", "methods", "ignoreCase"]
    static let requiredAuthorizationKeys = ["mode"]

    /// `token:` is one mapping or a non-empty list of mappings, tried in order.
    mutating func decodeTokenLocations(_ node: YAMLNode) -> [TokenLocation] {
        let items: [YAMLNode]
        switch node.kind {
        case .scalar:
            reader.diagnostics.error(.wrongNodeKind, "`token` must be a mapping or a list of mappings, not \(node.kindDescription)", at: node.span,
                                     hint: "write `token: { from: header, name: Authorization }`")
            return []
        case .sequence(let list):
            if list.isEmpty {
                reader.diagnostics.error(.emptyValue, "`token` must not be an empty list", at: node.span,
                                         hint: "remove `token` to read the `Authorization` header, or list at least one location")
            }
            items = list
        default:
            items = [node]
        }
        var locations: [TokenLocation] = []
        for item in items {
            guard let location = decodeTokenLocation(item) else { continue }
            if let first = locations.first(where: { $0.source == location.source && $0.sameName(as: location) }) {
                reader.diagnostics.error(.duplicateValue, "the token location \(location.source.rawValue) `\(location.name)` is listed twice",
                                         at: item.span, notes: [DiagnosticNote("first listed here", at: first.span)])
                continue
            }
            locations.append(location)
        }
        return locations
    }

    mutating func decodeTokenLocation(_ node: YAMLNode) -> TokenLocation? {
        guard let map = MappingReader(node, what: "token location", known: Self.tokenKeys, reader: &reader) else { return nil }
        let before = reader.diagnostics.errorCount
        var source = TokenLocation.Source.header
        if let node = map["from"], let value = reader.enumeration(node, what: "token source", as: TokenLocation.Source.self) {
            source = value.value
        }
        var name = "Authorization"
        if let node = map["name"], let value = reader.nonEmptyString(node, what: "the token's `name`") {
            name = value.value
            if let bad = name.utf8.firstIndex(where: { !HTTPToken.isTokenCharacter($0) }) {
                let offset = name.utf8.distance(from: name.utf8.startIndex, to: bad)
                reader.diagnostics.error(.invalidTokenLocation, "`\(name)` is not a valid \(source.rawValue) name",
                                         at: node.span(ofValueRange: offset..<(offset + 1)),
                                         hint: "names use letters, digits and `!#$%&'*+-.^_`|~` only")
            }
        }
        let isAuthorizationHeader = source == .header && name.lowercased() == "authorization"
        var prefix = isAuthorizationHeader ? "Bearer " : ""
        if let node = map["prefix"] {
            if case .scalar(let scalar) = node.kind, scalar.isNull {
                prefix = ""
            } else if let value = reader.string(node, what: "the token's `prefix`") {
                prefix = value.value
                if value.value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                    reader.diagnostics.error(.invalidTokenLocation, "the token's `prefix` must not contain control characters", at: node.span)
                }
            }
        }
        var passthrough = false
        if let node = map["passthrough"], let value = reader.bool(node, what: "`passthrough`") { passthrough = value.value }
        guard reader.diagnostics.errorCount == before else { return nil }
        return TokenLocation(source: source, name: name, prefix: prefix, passthrough: passthrough, span: node.span)
    }

    mutating func decodeAuthorization(_ node: YAMLNode) -> Authorization? {
        guard let map = MappingReader(node, what: "`authorization`", known: Self.authorizationKeys, reader: &reader) else { return nil }
        let mode = map.required("mode", reader: &reader, hint: "write `mode: whitelist` or `mode: blacklist`")
            .flatMap { reader.enumeration($0, what: "authorization mode", as: Authorization.Mode.self) }
        var rules: [Rule] = []
        if let rulesNode = map["rules"] {
            if case .scalar(let scalar) = rulesNode.kind, scalar.isNull {
                // `rules:` with nothing after it: no rules.
            } else if let items = reader.list(rulesNode, what: "`rules`") {
                for item in items {
                    if let rule = decodeRule(item, mode: mode?.value) { rules.append(rule) }
                }
            }
        }
        guard let mode else { return nil }
        return Authorization(mode: mode, rules: rules)
    }

    /// A domain pattern (rule `domain`, an item of `hosts`), reported at the offending character.
    mutating func decodeDomainPattern(_ node: YAMLNode, what: String) -> Located<DomainPattern>? {
        guard let text = reader.string(node, what: what) else { return nil }
        switch DomainPattern.parse(text.value) {
        case .success(let pattern): return Located(pattern, at: node.span)
        case .failure(let error):
            reader.diagnostics.error(.invalidDomainPattern, "invalid domain `\(text.value.displayEscaped)`: \(error.message)",
                                     at: node.span(ofValueRange: error.range), hint: error.hint)
            return nil
        }
    }

    /// `hosts: [api.example.com, "*.api.example.com"]`: the hosts the entry applies to.
    mutating func decodeHosts(_ node: YAMLNode) -> [Located<DomainPattern>] {
        guard let items = reader.list(node, what: "`hosts`") else { return [] }
        if items.isEmpty {
            reader.diagnostics.error(.emptyValue, "`hosts` must not be an empty list", at: node.span,
                                     hint: "remove `hosts` to apply the entry to every host, or list the hosts it protects")
            return []
        }
        var hosts: [Located<DomainPattern>] = []
        for item in items {
            guard let pattern = decodeDomainPattern(item, what: "an item of `hosts`") else { continue }
            if let first = hosts.first(where: { $0.value == pattern.value }) {
                reader.diagnostics.error(.duplicateValue, "`\(pattern.value)` is listed twice in `hosts`", at: item.span,
                                         notes: [DiagnosticNote("first listed here", at: first.span)])
                continue
            }
            hosts.append(pattern)
        }
        return hosts
    }

    mutating func decodeRule(_ node: YAMLNode, mode: Authorization.Mode?) -> Rule? {
        guard let map = MappingReader(node, what: "rule", known: Self.ruleKeys, reader: &reader) else { return nil }
        var domain = Located(DomainPattern.any, at: nil)
        var path = Located(PathPattern.any, at: nil)
        var ok = true
        if let node = map["domain"] {
            if let pattern = decodeDomainPattern(node, what: "`domain`") {
                domain = pattern
            } else {
                ok = false
            }
        }
        if let node = map["path"] {
            if let text = reader.string(node, what: "`path`") {
                switch PathPattern.parse(text.value) {
                case .success(let pattern): path = Located(pattern, at: node.span)
                case .failure(let error):
                    reader.diagnostics.error(.invalidPathPattern, "invalid path `\(text.value.displayEscaped)`: \(error.message)",
                                             at: node.span(ofValueRange: error.range), hint: error.hint)
                    ok = false
                }
            } else {
                ok = false
            }
        }
        // The safe default: blacklist rules protect `/ADMIN` too; whitelist rules never exempt `/PUBLIC`.
        var ignoreCase = Located(mode == .blacklist, at: nil)
        if let node = map["ignoreCase"] {
            if let value = reader.bool(node, what: "`ignoreCase`") { ignoreCase = value } else { ok = false }
        }
        var methods: [Located<String>]?
        if let node = map["methods"] {
            if let value = decodeMethods(node) { methods = value } else { ok = false }
        }
        guard ok else { return nil }
        return Rule(span: node.span, domain: domain, path: path, ignoreCase: ignoreCase, methods: methods)
    }

    /// `methods: [GET, HEAD]`: a non-empty list of distinct upper-case methods; nil (reported)
    /// when any item is wrong.
    mutating func decodeMethods(_ node: YAMLNode) -> [Located<String>]? {
        guard let items = reader.list(node, what: "`methods`") else { return nil }
        let before = reader.diagnostics.errorCount
        if items.isEmpty {
            reader.diagnostics.error(.emptyValue, "`methods` must not be an empty list", at: node.span,
                                     hint: "remove `methods` to match every method, or list the methods the rule matches")
            return nil
        }
        var methods: [Located<String>] = []
        for item in items {
            guard let text = reader.nonEmptyString(item, what: "an item of `methods`") else { continue }
            let name = text.value
            guard HTTPMethods.known.contains(name) else {
                let upper = name.uppercased()
                let hint: String
                if HTTPMethods.known.contains(upper) {
                    hint = "did you mean `\(upper)`? methods are case-sensitive and written in upper case"
                } else if let guess = Suggestion.closest(to: upper, in: HTTPMethods.known) {
                    hint = "did you mean `\(guess)`? methods: " + HTTPMethods.known.joined(separator: ", ")
                } else {
                    hint = "methods: " + HTTPMethods.known.joined(separator: ", ")
                }
                let what = HTTPToken.isToken(name) ? "unknown HTTP method" : "invalid HTTP method"
                reader.diagnostics.error(.invalidMethod, "\(what) `\(name.displayEscaped)`", at: item.span, hint: hint)
                continue
            }
            if let first = methods.first(where: { $0.value == name }) {
                reader.diagnostics.error(.duplicateValue, "`\(name)` is listed twice in `methods`", at: item.span,
                                         notes: [DiagnosticNote("first listed here", at: first.span)], hint: "remove one of them")
                continue
            }
            methods.append(text)
        }
        return reader.diagnostics.errorCount == before ? methods : nil
    }
}

extension TokenLocation {
    /// Header names compare case-insensitively; query and cookie names exactly.
    func sameName(as other: TokenLocation) -> Bool {
        source == .header ? name.lowercased() == other.name.lowercased() : name == other.name
    }
}

/// RFC 9110 `token` characters, the alphabet of header, cookie and parameter names.
public enum HTTPToken {
    /// The punctuation a token may hold besides ASCII letters and digits.
    public static let punctuation = "!#$%&'*+-.^_`|~"

    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array(punctuation.utf8).contains(byte)
        }
    }

    public static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenCharacter)
    }
}

import Diagnostics

extension EntryDecoder {
    static let requirementKeys = [
        "type", "equals", "oneOf", "contains", "containsAll", "containsAny", "atLeast", "atMost", "present", "absent",
    ]
    /// Headers a forwarded claim must never overwrite: they steer routing, framing or authentication.
    static let reservedHeaders: Set<String> = [
        "host", "authorization", "proxy-authorization", "cookie", "set-cookie", "content-length", "content-type",
        "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "expect", "via",
        "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
    ]
    /// Header name prefixes refused for the same reason (`proxy-*`).
    static let reservedHeaderPrefixes = ["proxy-"]

    /// `claims:` maps a claim path to a mapping of requirements.
    mutating func decodeClaims(_ node: YAMLNode) -> [ClaimDeclaration] {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isInvalid {
                reader.diagnostics.error(.wrongNodeKind, "`claims` must be a mapping from claim names to requirements, not \(node.kindDescription)",
                                         at: node.span, hint: "write `claims: { scope: { contains: chat:write } }`")
            }
            return []
        }
        var declarations: [ClaimDeclaration] = []
        for pair in pairs {
            guard let path = decodeClaimPath(pair.key) else { continue }
            if case .scalar(let scalar) = pair.value.kind, !scalar.isNull {
                // `scope: chat:write`: a value where its requirements belong.
                let value = scalar.value.utf8.count <= 60 ? scalar.value : "…"
                reader.diagnostics.error(.wrongNodeKind, "the requirements of claim `\(pair.keyText ?? "")` must be a mapping, not a scalar",
                                         at: pair.value.span,
                                         hint: "write `{ contains: \(value) }` to require a word of a space-separated or array claim, or `{ equals: \(value) }` for the whole value")
                continue
            }
            guard let map = MappingReader(pair.value, what: "the requirements of claim `\(pair.keyText ?? "")`",
                                          known: Self.requirementKeys, reader: &reader) else { continue }
            var declaredType: Located<ClaimType>?
            var requirements: [ClaimRequirement] = []
            for requirement in map.pairs {
                guard let key = requirement.keyText else { continue }
                let span = requirement.key.span.union(requirement.value.span)
                let value = requirement.value
                let kind: ClaimRequirement.Kind?
                switch key {
                case "type":
                    declaredType = reader.enumeration(value, what: "claim type", as: ClaimType.self)
                    continue
                case "equals": kind = claimValue(value).map { .equals($0) }
                case "contains": kind = claimValue(value).map { .contains($0) }
                case "oneOf": kind = claimValues(value, key: key).map { .oneOf($0) }
                case "containsAll": kind = claimValues(value, key: key).map { .containsAll($0) }
                case "containsAny": kind = claimValues(value, key: key).map { .containsAny($0) }
                case "atLeast": kind = claimNumber(value, key: key).map { .atLeast($0) }
                case "atMost": kind = claimNumber(value, key: key).map { .atMost($0) }
                case "present", "absent":
                    guard let flag = reader.bool(value, what: "`\(key)`") else { continue }
                    if !flag.value {
                        reader.diagnostics.error(.invalidEnumValue, "`\(key): false` requires nothing", at: value.span,
                                                 hint: key == "present" ? "remove it, or write `absent: true`" : "remove it, or write `present: true`")
                        continue
                    }
                    kind = key == "present" ? .present : .absent
                default:
                    continue
                }
                if let kind { requirements.append(ClaimRequirement(kind: kind, span: span, valueSpan: value.span)) }
            }
            if requirements.isEmpty && declaredType == nil && map.pairs.isEmpty {
                reader.diagnostics.error(.emptyValue, "claim `\(pair.keyText ?? "")` has no requirements", at: pair.key.span,
                                         hint: "add one, such as `present: true`, or remove the claim")
            }
            declarations.append(ClaimDeclaration(path: path, declaredType: declaredType, requirements: requirements))
        }
        return declarations
    }

    /// `forwardClaims:` maps a claim path to the request header that carries it upstream.
    mutating func decodeForwardClaims(_ node: YAMLNode) -> [ForwardedClaim] {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isInvalid {
                reader.diagnostics.error(.wrongNodeKind, "`forwardClaims` must be a mapping from claim names to header names, not \(node.kindDescription)",
                                         at: node.span, hint: "write `forwardClaims: { sub: x-user-id }`")
            }
            return []
        }
        var result: [ForwardedClaim] = []
        for pair in pairs {
            guard let path = decodeClaimPath(pair.key),
                  let header = reader.nonEmptyString(pair.value, what: "a forwarded claim's header name") else { continue }
            let lowered = header.value.lowercased()
            if !HTTPToken.isToken(header.value) {
                reader.diagnostics.error(.invalidHeaderName, "`\(header.value)` is not a valid header name", at: pair.value.span,
                                         hint: "header names use letters, digits and `!#$%&'*+-.^_`|~` only")
                continue
            }
            if Self.reservedHeaders.contains(lowered) || Self.reservedHeaderPrefixes.contains(where: { lowered.hasPrefix($0) }) {
                reader.diagnostics.error(.invalidHeaderName, "a claim must not be forwarded in the `\(header.value)` header", at: pair.value.span,
                                         hint: "that header steers routing, framing or authentication; choose an `x-` header of your own")
                continue
            }
            if let first = result.first(where: { $0.header.value == lowered }) {
                reader.diagnostics.error(.duplicateValue, "two claims are forwarded in the header `\(lowered)`", at: pair.value.span,
                                         notes: [DiagnosticNote("first used here", at: first.header.span)])
                continue
            }
            result.append(ForwardedClaim(claim: path, header: Located(lowered, at: header.span)))
        }
        return result
    }

    /// `realm_access.roles` is a path of two names; `\.` is a literal dot and `\\` a backslash,
    /// so `https://example\.com/roles` names one claim.
    mutating func decodeClaimPath(_ key: YAMLNode) -> Located<[String]>? {
        guard let text = reader.nonEmptyString(key, what: "a claim name") else { return nil }
        var parts: [String] = []
        var current = ""
        var escaping = false
        for character in text.value {
            if escaping {
                guard character == "." || character == "\\" else {
                    reader.diagnostics.error(.invalidEnumValue, "invalid escape `\\\(character)` in claim name `\(text.value)`", at: key.span,
                                             hint: "`\\.` is a literal dot and `\\\\` a backslash")
                    return nil
                }
                current.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "." {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        if escaping || parts.contains(where: \.isEmpty) {
            reader.diagnostics.error(.emptyValue, "claim name `\(text.value)` has an empty part", at: key.span,
                                     hint: "dots separate nested claims; write `\\.` for a dot inside a claim's own name")
            return nil
        }
        return Located(parts, at: key.span)
    }

    /// A scalar typed YAML 1.2 core style: quoted is a string; plain is a number, boolean or string.
    mutating func claimValue(_ node: YAMLNode) -> ClaimValue? {
        guard case .scalar(let scalar) = node.kind, !scalar.isNull else {
            if !node.isInvalid {
                reader.diagnostics.error(.wrongNodeKind, "a claim value must be a string, number or boolean, not \(node.kindDescription)", at: node.span)
            }
            return nil
        }
        guard scalar.isPlain else { return .string(scalar.value) }
        if scalar.value == "true" { return .boolean(true) }
        if scalar.value == "false" { return .boolean(false) }
        if let number = Self.yamlNumber(scalar.value) { return .number(number, text: scalar.value) }
        return .string(scalar.value)
    }

    mutating func claimValues(_ node: YAMLNode, key: String) -> [ClaimValue]? {
        guard let items = reader.list(node, what: "`\(key)`") else { return nil }
        if items.isEmpty {
            reader.diagnostics.error(.emptyValue, "`\(key)` must list at least one value", at: node.span)
            return nil
        }
        let values = items.compactMap { claimValue($0) }
        return values.count == items.count ? values : nil
    }

    mutating func claimNumber(_ node: YAMLNode, key: String) -> Double? {
        guard let value = claimValue(node) else { return nil }
        guard case .number(let number, _) = value else {
            reader.diagnostics.error(.wrongNodeKind, "`\(key)` needs a number, not \(value)", at: node.span)
            return nil
        }
        return number
    }

    /// YAML 1.2 core-schema numbers in decimal notation (`-1`, `2.5`, `1e3`).
    static func yamlNumber(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; digits += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            var exponentDigits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return nil }
        }
        guard index == bytes.count, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

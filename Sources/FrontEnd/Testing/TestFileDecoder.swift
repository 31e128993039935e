public import Diagnostics

/// Decodes `*.test.yaml` files with the same located diagnostics as policies.
public struct TestFileDecoder: Sendable {
    static let fileKeys = ["version", "now", "signingKeys", "cases"]
    static let keyKeys = ["name", "entry", "algorithm", "kid"]
    static let caseKeys = ["name", "request", "token", "expect"]
    static let requestKeys = ["method", "host", "path", "headers", "cookies"]
    static let tokenKeys = ["key", "header", "claims", "value", "in"]
    static let locationKeys = ["from", "name", "prefix"]
    static let expectKeys = ["decision", "status", "reason", "entry", "headers", "query", "cookies", "wwwAuthenticate", "message"]
    static let expectHeaderKeys = ["set", "remove"]
    static let expectRemoveKeys = ["remove"]
    static let textExpectationKeys = ["contains"]
    static let signingAlgorithms = EntryDecoder.algorithmNames

    public init() {}

    /// `*.test.yaml` / `*.test.yml`.
    public static func isTestFileName(_ name: String) -> Bool {
        name.hasSuffix(".test.yaml") || name.hasSuffix(".test.yml")
    }

    public func decode(_ file: SourceFile, diagnostics: inout DiagnosticBag) -> PolicyTestFile? {
        let documents = YAMLReader().read(file, diagnostics: &diagnostics)
        guard let document = documents.first else {
            if !diagnostics.hasErrors {
                diagnostics.error(.missingKey, "the test file is empty", at: SourceSpan(file: file, start: 0, end: 0),
                                  hint: "start with `version: 1` and a list of `cases`")
            }
            return nil
        }
        var reader = ScalarReader()
        defer { diagnostics.append(contentsOf: reader.diagnostics.diagnostics) }
        let before = reader.diagnostics.errorCount
        guard let map = MappingReader(document.root, what: "test file", known: Self.fileKeys, reader: &reader) else { return nil }
        if let node = map.required("version", reader: &reader, hint: "start the test file with `version: 1`"),
           let version = reader.integer(node, what: "`version`", range: 0...Int.max), version.value != 1 {
            reader.diagnostics.error(.unsupportedVersion, "unsupported test file version \(version.value)", at: node.span)
        }
        let now = map["now"].flatMap { reader.integer($0, what: "`now`", range: 0...Int(Int32.max) * 4) }.map { Located(Double($0.value), at: $0.span) }
        var keys: [TestSigningKey] = []
        if let node = map["signingKeys"], let items = reader.list(node, what: "`signingKeys`") {
            for item in items {
                guard let key = decodeKey(item, reader: &reader) else { continue }
                if let first = keys.first(where: { $0.name.value == key.name.value }) {
                    reader.diagnostics.error(.duplicateName, "the signing key `\(key.name.value)` is declared twice", at: key.name.span,
                                             notes: [DiagnosticNote("first declared here", at: first.name.span)])
                    continue
                }
                keys.append(key)
            }
        }
        var cases: [PolicyTestCase] = []
        if let node = map.required("cases", reader: &reader), let items = reader.list(node, what: "`cases`") {
            for item in items {
                if let testCase = decodeCase(item, keys: keys, reader: &reader) { cases.append(testCase) }
            }
        }
        guard reader.diagnostics.errorCount == before else { return nil }
        return PolicyTestFile(file: file, now: now, signingKeys: keys, cases: cases)
    }

    func decodeKey(_ node: YAMLNode, reader: inout ScalarReader) -> TestSigningKey? {
        guard let map = MappingReader(node, what: "signing key", known: Self.keyKeys, reader: &reader) else { return nil }
        let name = map.required("name", reader: &reader).flatMap { reader.nonEmptyString($0, what: "the key's `name`") }
        let entry = map["entry"].flatMap { reader.nonEmptyString($0, what: "the key's `entry`") }
        let algorithm = map.required("algorithm", reader: &reader, hint: "for example `algorithm: ES256`")
            .flatMap { reader.nonEmptyString($0, what: "`algorithm`") }
        if let algorithm, !Self.signingAlgorithms.contains(algorithm.value) {
            reader.diagnostics.error(.invalidEnumValue, "`\(algorithm.value)` is not a JWS signature algorithm", at: algorithm.span,
                                     hint: "valid algorithms: " + Self.signingAlgorithms.joined(separator: ", "))
            return nil
        }
        let kid = map["kid"].flatMap { reader.nonEmptyString($0, what: "`kid`") }
        guard let name, let algorithm else { return nil }
        return TestSigningKey(name: name, entry: entry, algorithm: algorithm, kid: kid?.value)
    }

    func decodeCase(_ node: YAMLNode, keys: [TestSigningKey], reader: inout ScalarReader) -> PolicyTestCase? {
        guard let map = MappingReader(node, what: "test case", known: Self.caseKeys, reader: &reader) else { return nil }
        let before = reader.diagnostics.errorCount
        let name = map.required("name", reader: &reader).flatMap { reader.nonEmptyString($0, what: "the case's `name`") }
        var method = "GET", host: String?, target = "/"
        var headers: [(String, String)] = [], cookies: [(String, String)] = []
        if let requestNode = map.required("request", reader: &reader),
           let request = MappingReader(requestNode, what: "request", known: Self.requestKeys, reader: &reader) {
            if let value = request["method"].flatMap({ reader.nonEmptyString($0, what: "`method`") }) { method = value.value }
            if let value = request["host"].flatMap({ reader.string($0, what: "`host`") }) { host = value.value }
            if let node = request.required("path", reader: &reader), let value = reader.nonEmptyString(node, what: "`path`") {
                target = value.value
            }
            headers = request["headers"].map { stringPairs($0, what: "`headers`", reader: &reader) } ?? []
            cookies = request["cookies"].map { stringPairs($0, what: "`cookies`", reader: &reader) } ?? []
        }
        let token = map["token"].flatMap { decodeToken($0, keys: keys, reader: &reader) }
        let expect = map.required("expect", reader: &reader, hint: "say what must happen, such as `expect: { decision: allow }`")
            .flatMap { decodeExpectation($0, reader: &reader) }
        guard reader.diagnostics.errorCount == before, let name, let expect else { return nil }
        return PolicyTestCase(name: name, span: node.span, method: method, host: host, target: target,
                              headers: headers, cookies: cookies, token: token, expect: expect)
    }

    func decodeToken(_ node: YAMLNode, keys: [TestSigningKey], reader: inout ScalarReader) -> TestToken? {
        if case .scalar = node.kind {
            guard let text = reader.nonEmptyString(node, what: "`token`") else { return nil }
            return TestToken(source: .literal(text.value), location: nil, span: node.span)
        }
        guard let map = MappingReader(node, what: "token", known: Self.tokenKeys, reader: &reader) else { return nil }
        var location: (String, String, String)?
        if let node = map["in"], let inMap = MappingReader(node, what: "token location", known: Self.locationKeys, reader: &reader) {
            let from = inMap["from"].flatMap { reader.enumeration($0, what: "token source", as: TokenLocation.Source.self) }?.value ?? .header
            let name = inMap["name"].flatMap { reader.nonEmptyString($0, what: "`name`") }?.value ?? "Authorization"
            let defaultPrefix = from == .header && name.lowercased() == "authorization" ? "Bearer " : ""
            let prefix = inMap["prefix"].flatMap { reader.string($0, what: "`prefix`") }?.value ?? defaultPrefix
            location = (from.rawValue, name, prefix)
        }
        if let literal = map["value"] {
            guard let text = reader.nonEmptyString(literal, what: "the token's `value`") else { return nil }
            return TestToken(source: .literal(text.value), location: location, span: node.span)
        }
        guard let keyNode = map.required("key", reader: &reader, hint: "name a signing key, or give the token as `value`"),
              let key = reader.nonEmptyString(keyNode, what: "`key`") else { return nil }
        if !keys.contains(where: { $0.name.value == key.value }) {
            var hint = "declare it under `signingKeys`"
            if let guess = Suggestion.closest(to: key.value, in: keys.map(\.name.value)) { hint = "did you mean `\(guess)`?" }
            reader.diagnostics.error(.missingKey, "no signing key is named `\(key.value)`", at: key.span, hint: hint)
            return nil
        }
        let header = map["header"].map { objectMembers($0, what: "`header`", reader: &reader) } ?? []
        let claims = map["claims"].map { objectMembers($0, what: "`claims`", reader: &reader) } ?? []
        return TestToken(source: .signed(key: key, header: header, claims: claims), location: location, span: node.span)
    }

    func decodeExpectation(_ node: YAMLNode, reader: inout ScalarReader) -> TestExpectation? {
        guard let map = MappingReader(node, what: "`expect`", known: Self.expectKeys, reader: &reader) else { return nil }
        var expectation = TestExpectation(span: node.span)
        if let value = map["decision"].flatMap({ reader.nonEmptyString($0, what: "`decision`") }) {
            if value.value != "allow" && value.value != "deny" {
                reader.diagnostics.error(.invalidEnumValue, "`\(value.value)` is not a decision", at: value.span, hint: "write `allow` or `deny`")
            }
            expectation.decision = value
        }
        expectation.status = map["status"].flatMap { reader.integer($0, what: "`status`", range: 100...599) }
        expectation.reason = map["reason"].flatMap { reader.nonEmptyString($0, what: "`reason`") }
        if let node = map["entry"] {
            if case .scalar(let scalar) = node.kind, scalar.isNull {
                expectation.entry = Located(nil, at: node.span)
            } else if let value = reader.nonEmptyString(node, what: "`entry`") {
                expectation.entry = Located(value.value, at: value.span)
            }
        }
        if let node = map["headers"], let headers = MappingReader(node, what: "`headers`", known: Self.expectHeaderKeys, reader: &reader) {
            expectation.headersSet = headers["set"].map { stringPairs($0, what: "`set`", reader: &reader).map { ($0.0.lowercased(), $0.1) } }
            if let removeNode = headers["remove"], let items = reader.list(removeNode, what: "`remove`") {
                expectation.headersRemoved = items.compactMap { reader.nonEmptyString($0, what: "a header name")?.value.lowercased() }
            }
        }
        expectation.queryRemoved = map["query"].flatMap { removedNames($0, what: "`query`", item: "a query parameter name", reader: &reader) }
        expectation.cookiesRemoved = map["cookies"].flatMap { removedNames($0, what: "`cookies`", item: "a cookie name", reader: &reader) }
        expectation.wwwAuthenticate = map["wwwAuthenticate"].flatMap { text($0, what: "`wwwAuthenticate`", exactAllowed: true, reader: &reader) }
        expectation.message = map["message"].flatMap { text($0, what: "`message`", exactAllowed: false, reader: &reader) }
        return expectation
    }

    /// `{remove: [name, …]}`.
    func removedNames(_ node: YAMLNode, what: String, item: String, reader: inout ScalarReader) -> [String]? {
        guard let map = MappingReader(node, what: what, known: Self.expectRemoveKeys, reader: &reader),
              let removeNode = map.required("remove", reader: &reader, hint: "write `\(what.dropFirst().dropLast()): { remove: [name] }`"),
              let items = reader.list(removeNode, what: "`remove`") else { return nil }
        return items.compactMap { reader.nonEmptyString($0, what: item)?.value }
    }

    /// A string (exact, where allowed) or `{contains: part}`.
    func text(_ node: YAMLNode, what: String, exactAllowed: Bool, reader: inout ScalarReader) -> Located<TextExpectation>? {
        if case .scalar = node.kind {
            guard exactAllowed else {
                reader.diagnostics.error(.wrongNodeKind, "\(what) takes `{ contains: … }`, not a string", at: node.span,
                                         hint: "messages change wording; check a part that matters: `{ contains: expired }`")
                return nil
            }
            return reader.nonEmptyString(node, what: what).map { Located(.exactly($0.value), at: $0.span) }
        }
        guard let map = MappingReader(node, what: what, known: Self.textExpectationKeys, reader: &reader),
              let part = map.required("contains", reader: &reader, hint: "write `{ contains: text }`")
                .flatMap({ reader.nonEmptyString($0, what: "`contains`") }) else { return nil }
        return Located(.contains(part.value), at: node.span)
    }

    func stringPairs(_ node: YAMLNode, what: String, reader: inout ScalarReader) -> [(String, String)] {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isInvalid { reader.diagnostics.error(.wrongNodeKind, "\(what) must be a mapping, not \(node.kindDescription)", at: node.span) }
            return []
        }
        var result: [(String, String)] = []
        for pair in pairs {
            guard let name = pair.keyText else { continue }
            if let items = pair.value.sequence {
                for item in items { if let value = reader.string(item, what: "a value of `\(name)`") { result.append((name, value.value)) } }
            } else if let value = reader.string(pair.value, what: "the value of `\(name)`") {
                result.append((name, value.value))
            }
        }
        return result
    }

    func objectMembers(_ node: YAMLNode, what: String, reader: inout ScalarReader) -> [(String, TestValue)] {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isInvalid { reader.diagnostics.error(.wrongNodeKind, "\(what) must be a mapping, not \(node.kindDescription)", at: node.span) }
            return []
        }
        return pairs.compactMap { pair in pair.keyText.map { ($0, value(pair.value, timeClaim: ["exp", "nbf", "iat"].contains($0), reader: &reader)) } }
    }

    /// YAML 1.2 core typing; `+1h`/`-5m` in a time claim is relative to the case's clock.
    func value(_ node: YAMLNode, timeClaim: Bool = false, reader: inout ScalarReader) -> TestValue {
        switch node.kind {
        case .invalid: return .null
        case .mapping(let pairs):
            return .object(pairs.compactMap { pair in pair.keyText.map { ($0, value(pair.value, reader: &reader)) } })
        case .sequence(let items):
            return .array(items.map { value($0, reader: &reader) })
        case .scalar(let scalar):
            if scalar.isNull { return .null }
            guard scalar.isPlain else { return .string(scalar.value) }
            if scalar.value == "true" { return .bool(true) }
            if scalar.value == "false" { return .bool(false) }
            if timeClaim, let first = scalar.value.first, first == "+" || first == "-",
               let seconds = ScalarReader.parseDuration(String(scalar.value.dropFirst())) {
                return .relativeTime(first == "+" ? seconds : -seconds)
            }
            if EntryDecoder.yamlNumber(scalar.value) != nil { return .number(scalar.value) }
            return .string(scalar.value)
        }
    }
}

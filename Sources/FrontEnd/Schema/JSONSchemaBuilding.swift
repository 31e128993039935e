import Diagnostics

/// Small constructors for JSON Schema (draft 2020-12) fragments, so the generators read
/// like the schema they produce.
enum JSONSchema {
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// A fragment: its description first, then the other keywords.
    static func node(_ description: String, _ keywords: (String, JSONOutput)...) -> JSONOutput {
        .object([("description", .string(description))] + keywords)
    }

    static func ref(_ definition: String) -> (String, JSONOutput) {
        ("$ref", .string("#/$defs/\(definition)"))
    }

    static func type(_ names: String...) -> (String, JSONOutput) {
        ("type", names.count == 1 ? .string(names[0]) : .array(names.map { .string($0) }))
    }

    static func enumeration(_ values: [String]) -> (String, JSONOutput) {
        ("enum", .array(values.map { .string($0) }))
    }

    static func integer(_ name: String, _ value: Int) -> (String, JSONOutput) {
        (name, .int(value))
    }

    static func string(_ name: String, _ value: String) -> (String, JSONOutput) {
        (name, .string(value))
    }

    static func oneOf(_ alternatives: JSONOutput...) -> (String, JSONOutput) {
        ("oneOf", .array(alternatives))
    }

    static func requireOne(of keys: [String]) -> (String, JSONOutput) {
        ("oneOf", .array(keys.map { .object([("required", .array([.string($0)]))]) }))
    }

    /// A list of `items`, at least `minItems` long.
    static func list(_ description: String, of items: JSONOutput, minItems: Int = 0, unique: Bool = false) -> JSONOutput {
        var keywords: [(String, JSONOutput)] = [("description", .string(description)), ("type", .string("array")), ("items", items)]
        if minItems > 0 { keywords.append(("minItems", .int(minItems))) }
        if unique { keywords.append(("uniqueItems", .bool(true))) }
        return .object(keywords)
    }

    /// A mapping whose keys are the decoder's table: each key's fragment comes from
    /// `properties`; a key without one gets an empty fragment, and a fragment without a
    /// key is kept, so a drift between the two shows in the schema (and fails its test).
    static func mapping(
        _ description: String, keys: [String], required: [String], properties: [String: JSONOutput],
        closed: Bool = true, _ keywords: (String, JSONOutput)...
    ) -> JSONOutput {
        let names = keys + properties.keys.filter { !keys.contains($0) }.sorted()
        var members: [(String, JSONOutput)] = [
            ("description", .string(description)),
            ("type", .string("object")),
            ("properties", .object(names.map { ($0, properties[$0] ?? .object([])) })),
        ]
        if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
        if closed { members.append(("additionalProperties", .bool(false))) }
        return .object(members + keywords)
    }

    /// A regular expression matching any of `words`, or any text starting with one of
    /// `prefixes`, ASCII letters in either case.
    static func caseInsensitivePattern(words: [String], prefixes: [String] = []) -> String {
        func spell(_ word: String) -> String {
            word.map { character -> String in
                let lower = character.lowercased(), upper = character.uppercased()
                if lower != upper { return "[\(lower)\(upper)]" }
                return character == "." ? "\\." : String(character)
            }.joined()
        }
        let alternatives = words.sorted().map(spell) + prefixes.sorted().map { spell($0) + ".*" }
        return "^(?:" + alternatives.joined(separator: "|") + ")$"
    }
}

/// Fragments both generators share: how the decoder types scalars.
enum SharedSchemaDefinitions {
    /// Where the decoder reads text it takes any non-null scalar, as written.
    static let text = JSONSchema.node(
        "a string; a plain number or boolean is read as the text written",
        JSONSchema.type("string", "number", "boolean"))

    static let nonEmptyText = JSONSchema.node(
        "a string that is not empty or blank",
        JSONSchema.type("string", "number", "boolean"), JSONSchema.string("pattern", "[^ \\t\\n\\r]"))

    /// An HTTP header, query parameter or cookie name (RFC 9110 token).
    static let tokenPattern: String = {
        // Only syntax characters may be escaped in a Unicode-mode (ECMA-262) pattern.
        let escaped = HTTPToken.punctuation.map { "^$.*+?()[]{}|/-".contains($0) ? "\\\($0)" : String($0) }.joined()
        return "^[A-Za-z0-9\(escaped)]+$"
    }()

    /// A string or a list of strings, by name: request headers and cookies, headers set.
    static let namedValues = JSONSchema.node(
        "names mapped to a value, or to a list of values",
        JSONSchema.type("object"),
        ("additionalProperties", .object([
            ("oneOf", .array([
                .object([JSONSchema.ref("text")]),
                .object([JSONSchema.type("array"), ("items", .object([JSONSchema.ref("text")]))]),
            ])),
        ])))
}

import Diagnostics
import Foundation
import FrontEnd
import TestSupport
import XCTest

/// Keeps `gatepass schema` and the decoders in step: every key a decoder accepts is in
/// the schema and nothing else is, required keys match, every enumeration matches, and
/// the decoders themselves behave as their tables say (probed with real documents).
final class SchemaSyncTests: XCTestCase {
    func parsed(_ schema: GatepassSchema) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(schema.text.utf8)) as? [String: Any])
    }

    /// The value at an RFC 6901 JSON pointer.
    func resolve(_ pointer: String, in root: Any) -> Any? {
        var node: Any? = root
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let object = node as? [String: Any] { node = object[name] } else if let array = node as? [Any], let index = Int(name), index < array.count { node = array[index] } else { return nil }
        }
        return node
    }

    func testEveryMappingHasTheDecodersKeysAndRequiredKeys() throws {
        for schema in GatepassSchema.allCases {
            let root = try parsed(schema)
            XCTAssertEqual(root["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema")
            for table in schema.decoderTables {
                let where_ = "\(schema) \(table.pointer.isEmpty ? "root" : table.pointer)"
                let mapping = try XCTUnwrap(resolve(table.pointer, in: root) as? [String: Any], where_)
                let properties = try XCTUnwrap(mapping["properties"] as? [String: Any], where_)
                XCTAssertEqual(Set(properties.keys), Set(table.keys), "keys of \(where_): schema vs decoder")
                XCTAssertEqual(Set((mapping["required"] as? [String]) ?? []), Set(table.required), "required keys of \(where_)")
                XCTAssertEqual(mapping["additionalProperties"] as? Bool, false, "unknown keys are errors in \(where_)")
                for key in table.keys {
                    let description = (properties[key] as? [String: Any])?["description"] as? String
                    XCTAssertFalse(description?.isEmpty ?? true, "`\(key)` of \(where_) has no description in the schema")
                }
            }
        }
    }

    /// A mapping added to the schema without a decoder table would escape the check above.
    func testEveryMappingOfTheSchemaHasADecoderTable() throws {
        // The JWKS mapping is checked by JOSE key validation, not by a decoder key table; the
        // fourth key source alternative only says `discovery` must be `true`.
        let unchecked: Set<String> = ["/properties/jwks/oneOf/0", "/oneOf/3"]
        for schema in GatepassSchema.allCases {
            var pointers: Set<String> = []
            func walk(_ node: Any, _ pointer: String) {
                if let object = node as? [String: Any] {
                    if object["properties"] != nil { pointers.insert(pointer) }
                    for (key, value) in object where key != "properties" { walk(value, pointer + "/" + key) }
                    for (key, value) in (object["properties"] as? [String: Any]) ?? [:] { walk(value, pointer + "/properties/" + key) }
                } else if let array = node as? [Any] {
                    for (index, item) in array.enumerated() { walk(item, pointer + "/\(index)") }
                }
            }
            walk(try parsed(schema), "")
            XCTAssertEqual(pointers.subtracting(unchecked), Set(schema.decoderTables.map(\.pointer)), "\(schema)")
        }
    }

    func testEveryEnumerationIsTheDecodersOwn() throws {
        for schema in GatepassSchema.allCases {
            let root = try parsed(schema)
            for table in schema.decoderEnums {
                XCTAssertEqual(resolve(table.pointer, in: root) as? [String], table.values, "\(schema) \(table.pointer)")
            }
        }
        XCTAssertEqual(GatepassSchema.policy.decoderEnums.first { $0.pointer.hasSuffix("/from/enum") }?.values, ["header", "query", "cookie"])
        XCTAssertEqual(GatepassSchema.test.decoderEnums.last?.values, ["allow", "deny"])
    }

    func testTheOutputIsDeterministicAndSorted() {
        for schema in GatepassSchema.allCases {
            XCTAssertEqual(schema.text, schema.text)
            XCTAssertTrue(schema.text.hasPrefix("{\n  \"$defs\": {\n"), "\(schema)")
            XCTAssertTrue(schema.text.hasSuffix("}\n"))
        }
    }

    // MARK: - Probing the decoders with documents

    /// Puts `lines` into one mapping of a document: `prefix`, then the lines joined at `indent`.
    struct Probe {
        var schema: GatepassSchema
        var pointer: String
        var prefix: String
        var indent: String
        /// A line for each required key, by key.
        var lines: [(key: String, line: String)] = []

        /// An empty mapping is written `{}`.
        func document(_ lines: [String]) -> String {
            prefix + (lines.isEmpty ? "{}" : lines.joined(separator: "\n" + indent)) + "\n"
        }
    }

    static let entryBase = "version: 1\nname: a\nissuer: https://auth.example.com\njwks: {keys: []}\n"
    static let caseBase = "version: 1\nsigningKeys: [{name: k, algorithm: ES256}]\ncases:\n  - name: c\n    request: {path: /}\n"

    static let probes: [Probe] = [
        Probe(schema: .policy, pointer: "", prefix: "jwks: {keys: []}\n", indent: "", lines: [
            ("version", "version: 1"), ("name", "name: a"), ("issuer", "issuer: https://auth.example.com"),
            ("authorization", "authorization: {mode: whitelist}"),
        ]),
        Probe(schema: .policy, pointer: "/$defs/authorization", prefix: entryBase + "authorization:\n  ", indent: "  ",
              lines: [("mode", "mode: whitelist")]),
        Probe(schema: .policy, pointer: "/$defs/tokenLocation", prefix: entryBase + "authorization: {mode: whitelist}\ntoken:\n  ", indent: "  "),
        Probe(schema: .policy, pointer: "/$defs/jwksRefresh",
              prefix: "version: 1\nname: a\nissuer: https://auth.example.com\njwksUri: https://auth.example.com/k\nalgorithms: [RS256]\nauthorization: {mode: whitelist}\njwksRefresh:\n  ",
              indent: "  "),
        Probe(schema: .policy, pointer: "/$defs/rule", prefix: entryBase + "authorization:\n  mode: whitelist\n  rules:\n    - ", indent: "      "),
        Probe(schema: .policy, pointer: "/$defs/claimRequirements", prefix: entryBase + "authorization: {mode: whitelist}\nclaims:\n  sub:\n    ", indent: "    "),
        Probe(schema: .test, pointer: "", prefix: "", indent: "", lines: [("version", "version: 1"), ("cases", "cases: []")]),
        Probe(schema: .test, pointer: "/$defs/signingKey", prefix: "version: 1\ncases: []\nsigningKeys:\n  - ", indent: "    ",
              lines: [("name", "name: k"), ("algorithm", "algorithm: ES256")]),
        Probe(schema: .test, pointer: "/$defs/case", prefix: "version: 1\ncases:\n  - ", indent: "    ",
              lines: [("name", "name: c"), ("request", "request: {path: /}"), ("expect", "expect: {}")]),
        Probe(schema: .test, pointer: "/$defs/request", prefix: "version: 1\ncases:\n  - name: c\n    expect: {}\n    request:\n      ", indent: "      ",
              lines: [("path", "path: /")]),
        Probe(schema: .test, pointer: "/$defs/token/oneOf/1", prefix: caseBase + "    expect: {}\n    token:\n      ", indent: "      "),
        Probe(schema: .test, pointer: "/$defs/tokenLocation", prefix: caseBase + "    expect: {}\n    token:\n      key: k\n      in:\n        ", indent: "        "),
        Probe(schema: .test, pointer: "/$defs/expect", prefix: caseBase + "    expect:\n      ", indent: "      "),
        Probe(schema: .test, pointer: "/$defs/expectHeaders", prefix: caseBase + "    expect:\n      headers:\n        ", indent: "        "),
        Probe(schema: .test, pointer: "/$defs/expectRemoved", prefix: caseBase + "    expect:\n      query:\n        ", indent: "        ",
              lines: [("remove", "remove: [a]")]),
        Probe(schema: .test, pointer: "/$defs/textContains", prefix: caseBase + "    expect:\n      message:\n        ", indent: "        ",
              lines: [("contains", "contains: a")]),
    ]

    func diagnostics(_ schema: GatepassSchema, _ text: String) -> [Diagnostic] {
        switch schema {
        case .policy:
            return PolicySetLoader().decode(files: [MarkedSource(text).file]).1.sorted
        case .test:
            var bag = DiagnosticBag()
            _ = TestFileDecoder().decode(MarkedSource(text, path: "a.test.yaml").file, diagnostics: &bag)
            return bag.sorted
        }
    }

    func testEveryTableIsProbed() {
        for schema in GatepassSchema.allCases {
            XCTAssertEqual(Set(Self.probes.filter { $0.schema == schema }.map(\.pointer)), Set(schema.decoderTables.map(\.pointer)), "\(schema)")
        }
    }

    /// An unknown key's hint lists the keys the decoder accepts there: the schema's.
    func testTheDecoderAcceptsExactlyTheSchemasKeys() {
        for probe in Self.probes {
            let table = probe.schema.decoderTables.first { $0.pointer == probe.pointer }
            let text = probe.document(probe.lines.map(\.line) + ["qqqqqqqqqqqq: 1"])
            let unknown = diagnostics(probe.schema, text).filter { $0.code == .unknownKey }
            XCTAssertEqual(unknown.count, 1, "\(probe.schema) \(probe.pointer):\n\(text)")
            let listed = (unknown.first?.hint ?? "").replacingOccurrences(of: "valid keys: ", with: "")
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            XCTAssertEqual(listed, table?.keys, "\(probe.schema) \(probe.pointer)")
        }
    }

    /// A document with exactly the schema's required keys decodes cleanly, and without any
    /// one of them the decoder reports that key missing.
    func testTheDecoderRequiresExactlyTheSchemasRequiredKeys() {
        for probe in Self.probes where !probe.lines.isEmpty {
            let required = probe.schema.decoderTables.first { $0.pointer == probe.pointer }?.required ?? []
            XCTAssertEqual(probe.lines.map(\.key).sorted(), required.sorted(), "\(probe.schema) \(probe.pointer)")
            let complete = probe.document(probe.lines.map(\.line))
            XCTAssertEqual(diagnostics(probe.schema, complete).map(\.message), [], "\(probe.schema) \(probe.pointer):\n\(complete)")
            for (key, _) in probe.lines {
                let text = probe.document(probe.lines.filter { $0.key != key }.map(\.line))
                let messages = diagnostics(probe.schema, text).filter { $0.code == .missingKey }.map(\.message)
                XCTAssertTrue(messages.contains { $0.contains("missing required key `\(key)`") }, "\(probe.schema) \(probe.pointer) without `\(key)`: \(messages)")
            }
        }
    }

    /// Documents with `@` where an enumeration's value goes, by the schema pointer of the enum.
    static let enumProbes: [(schema: GatepassSchema, pointer: String, document: String)] = [
        (.policy, "/properties/type/enum", entryBase + "type: \"@\"\nauthorization: {mode: whitelist}\n"),
        (.policy, "/properties/algorithms/items/enum", entryBase + "algorithms: [\"@\"]\nauthorization: {mode: whitelist}\n"),
        (.policy, "/$defs/tokenLocation/properties/from/enum", entryBase + "token: {from: \"@\"}\nauthorization: {mode: whitelist}\n"),
        (.policy, "/$defs/authorization/properties/mode/enum", entryBase + "authorization: {mode: \"@\"}\n"),
        (.policy, "/$defs/claimRequirements/properties/type/enum", entryBase + "claims: {sub: {type: \"@\"}}\nauthorization: {mode: whitelist}\n"),
        (.policy, "/$defs/rule/properties/methods/items/enum", entryBase + "authorization: {mode: whitelist, rules: [{path: /a, methods: [\"@\"]}]}\n"),
        (.test, "/$defs/signingKey/properties/algorithm/enum", "version: 1\ncases: []\nsigningKeys: [{name: k, algorithm: \"@\"}]\n"),
        (.test, "/$defs/tokenLocation/properties/from/enum", caseBase + "    expect: {}\n    token: {key: k, in: {from: \"@\"}}\n"),
        (.test, "/$defs/expect/properties/decision/enum", caseBase + "    expect: {decision: \"@\"}\n"),
    ]

    /// The decoder accepts every value the schema lists, and refuses one it does not.
    func testTheDecoderAcceptsExactlyTheSchemasEnumValues() {
        for schema in GatepassSchema.allCases {
            let probed = Set(Self.enumProbes.filter { $0.schema == schema }.map(\.pointer))
            XCTAssertEqual(probed, Set(schema.decoderEnums.map(\.pointer)), "\(schema)")
        }
        for probe in Self.enumProbes {
            let values = probe.schema.decoderEnums.first { $0.pointer == probe.pointer }?.values ?? []
            for value in values {
                let text = probe.document.replacingOccurrences(of: "@", with: value)
                XCTAssertEqual(diagnostics(probe.schema, text).map(\.message), [], "\(probe.pointer) `\(value)`:\n\(text)")
            }
            let refused = diagnostics(probe.schema, probe.document.replacingOccurrences(of: "@", with: "qqqq"))
            XCTAssertTrue(refused.contains { $0.severity == .error }, "\(probe.pointer) accepts `qqqq`")
        }
    }
}

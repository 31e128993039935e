public import Diagnostics

/// The JSON Schemas (draft 2020-12) `gatepass schema` prints, so the YAML language server
/// validates and completes policies and test files in editors. Both are generated from
/// the decoders' own tables, and `decoderTables` lists those tables for the test that
/// keeps schema and decoder in step.
public enum GatepassSchema: String, CaseIterable, Sendable {
    /// One authentication entry: every YAML document of a policy file.
    case policy
    /// A policy test file (`*.test.yaml`).
    case test

    public var document: JSONOutput {
        switch self {
        case .policy: PolicySchema.document
        case .test: TestFileSchema.document
        }
    }

    /// The schema as printed: indented, keys sorted, a final newline; the same bytes every time.
    public var text: String {
        document.prettySortedText
    }

    /// One mapping the decoder reads: where its schema is (a JSON pointer, `""` for the
    /// root), the keys the decoder accepts and those it requires.
    public struct KeyTable: Sendable {
        public var pointer: String
        public var keys: [String]
        public var required: [String]
    }

    /// One enumeration the decoder checks, and where the schema lists it.
    public struct EnumTable: Sendable {
        public var pointer: String
        public var values: [String]
    }

    /// Every mapping of this schema, with the decoder's key tables.
    public var decoderTables: [KeyTable] {
        switch self {
        case .policy:
            [
                KeyTable(pointer: "", keys: EntryDecoder.entryKeys, required: EntryDecoder.requiredEntryKeys),
                KeyTable(pointer: "/$defs/tokenLocation", keys: EntryDecoder.tokenKeys, required: []),
                KeyTable(pointer: "/$defs/jwksRefresh", keys: EntryDecoder.refreshKeys, required: []),
                KeyTable(pointer: "/$defs/authorization", keys: EntryDecoder.authorizationKeys, required: EntryDecoder.requiredAuthorizationKeys),
                KeyTable(pointer: "/$defs/rule", keys: EntryDecoder.ruleKeys, required: []),
                KeyTable(pointer: "/$defs/claimRequirements", keys: EntryDecoder.requirementKeys, required: []),
            ]
        case .test:
            [
                KeyTable(pointer: "", keys: TestFileDecoder.fileKeys, required: TestFileDecoder.requiredFileKeys),
                KeyTable(pointer: "/$defs/signingKey", keys: TestFileDecoder.keyKeys, required: TestFileDecoder.requiredKeyKeys),
                KeyTable(pointer: "/$defs/case", keys: TestFileDecoder.caseKeys, required: TestFileDecoder.requiredCaseKeys),
                KeyTable(pointer: "/$defs/request", keys: TestFileDecoder.requestKeys, required: TestFileDecoder.requiredRequestKeys),
                KeyTable(pointer: "/$defs/token/oneOf/1", keys: TestFileDecoder.tokenKeys, required: []),
                KeyTable(pointer: "/$defs/tokenLocation", keys: TestFileDecoder.locationKeys, required: []),
                KeyTable(pointer: "/$defs/expect", keys: TestFileDecoder.expectKeys, required: []),
                KeyTable(pointer: "/$defs/expectHeaders", keys: TestFileDecoder.expectHeaderKeys, required: []),
                KeyTable(pointer: "/$defs/expectRemoved", keys: TestFileDecoder.expectRemoveKeys, required: ["remove"]),
                KeyTable(pointer: "/$defs/textContains", keys: TestFileDecoder.textExpectationKeys, required: ["contains"]),
            ]
        }
    }

    /// Every enumeration of this schema, with the decoder's values.
    public var decoderEnums: [EnumTable] {
        let sources = TokenLocation.Source.allCases.map(\.rawValue)
        switch self {
        case .policy:
            return [
                EnumTable(pointer: "/properties/type/enum", values: EntryDecoder.authenticationTypes),
                EnumTable(pointer: "/properties/algorithms/items/enum", values: EntryDecoder.algorithmNames),
                EnumTable(pointer: "/$defs/tokenLocation/properties/from/enum", values: sources),
                EnumTable(pointer: "/$defs/authorization/properties/mode/enum", values: Authorization.Mode.allCases.map(\.rawValue)),
                EnumTable(pointer: "/$defs/claimRequirements/properties/type/enum", values: ClaimType.allCases.map(\.rawValue)),
                EnumTable(pointer: "/$defs/rule/properties/methods/items/enum", values: HTTPMethods.known),
            ]
        case .test:
            return [
                EnumTable(pointer: "/$defs/signingKey/properties/algorithm/enum", values: TestFileDecoder.signingAlgorithms),
                EnumTable(pointer: "/$defs/tokenLocation/properties/from/enum", values: sources),
                EnumTable(pointer: "/$defs/expect/properties/decision/enum", values: TestFileDecoder.decisions),
            ]
        }
    }
}

import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// A minimal valid entry with `body` appended; `authorization` is separate so rule tests can replace it.
func entryYAML(_ body: String = "", name: String = "partner-api", authorization: String = "authorization: {mode: whitelist}\n") -> String {
    "version: 1\nname: \(name)\nissuer: https://auth.example.com\njwks: {keys: []}\n" + authorization + body
}

/// Decodes in-memory files as the loader does after reading them.
func decode(_ sources: MarkedSource...) -> (set: PolicySet, diagnostics: [Diagnostic]) {
    let (set, bag) = PolicySetLoader().decode(files: sources.map(\.file))
    return (set, bag.sorted)
}

/// The only entry of a set decoded from `yaml`, failing the test on any diagnostic.
func decodeEntry(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> AuthenticationEntry? {
    let (set, diagnostics) = decode(MarkedSource(yaml))
    XCTAssertNoDiagnostics(diagnostics, file: file, line: line)
    XCTAssertEqual(set.entries.count, 1, "entries", file: file, line: line)
    return set.entries.first
}

/// The root mapping's value for `key` in the first document of `source`.
func yamlValue(_ key: String, in source: MarkedSource, file: StaticString = #filePath, line: UInt = #line) -> YAMLNode? {
    var bag = DiagnosticBag()
    let documents = YAMLReader().read(source.file, diagnostics: &bag)
    XCTAssertNoDiagnostics(bag.diagnostics, file: file, line: line)
    let value = documents.first?.root.mapping?.first { $0.keyText == key }?.value
    XCTAssertNotNil(value, "no key `\(key)`", file: file, line: line)
    return value
}

import BundleFormat
import Compiler
import Diagnostics
import FrontEnd
import XCTest

/// Rules with `methods`: lowered into method splits of path nodes, compared with their
/// methods by the rule checks, and `allowCorsPreflight` carried into the entry.
final class MethodLoweringTests: XCTestCase {
    func entry(_ name: String, _ authorization: String, extra: String = "") -> String {
        "version: 1\nname: \(name)\nissuer: https://\(name).example.com\njwks: \(environmentJWKS())\n\(extra)authorization:\n\(authorization)\n"
    }

    func compileText(_ documents: [String]) throws -> (program: DecisionProgram, diagnostics: [Diagnostic]) {
        let outcome = Pipeline().compile(files: [SourceFile(path: "m.yaml", text: documents.joined(separator: "---\n"))])
        let program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
        return (program, outcome.check.diagnostics.sorted)
    }

    func names(_ program: DecisionProgram, _ path: [String], _ method: String) -> [String] {
        TrieWalk.protecting(program, reversedLabels: ["com", "example", "api"], segments: path, method: method).members.map { program.entries[$0].name }
    }

    func testTheMasksOfBothListsAgree() {
        XCTAssertEqual(HTTPMethods.known, MethodMask.known)
        for (bit, method) in MethodMask.known.enumerated() {
            XCTAssertEqual(MethodMask.bit(of: method), bit)
            XCTAssertEqual(HTTPMethods.mask([method]), 1 << UInt16(bit))
        }
        XCTAssertEqual(MethodMask.optionsBit, MethodMask.bit(of: "OPTIONS"))
        XCTAssertNil(MethodMask.bit(of: "get"))
        XCTAssertNil(MethodMask.bit(of: "PROPFIND"))
    }

    func testMethodRulesBecomeSplitsOfTheNodeTheyEndOn() throws {
        let (program, _) = try compileText([
            entry("reads", "  mode: blacklist\n  rules:\n    - { domain: api.example.com, path: /v1/**, methods: [GET, HEAD] }"),
            entry("writes", "  mode: blacklist\n  rules:\n    - { domain: api.example.com, path: /v1/**, methods: [POST, PUT] }\n    - { domain: api.example.com, path: /v1/admin }"),
        ])
        XCTAssertEqual(program.rules.map(\.methods), [0b11, 0b1100, nil])
        XCTAssertEqual(names(program, ["v1", "x"], "GET"), ["reads"])
        XCTAssertEqual(names(program, ["v1", "x"], "HEAD"), ["reads"])
        XCTAssertEqual(names(program, ["v1", "x"], "PUT"), ["writes"])
        XCTAssertEqual(names(program, ["v1", "x"], "DELETE"), [])
        XCTAssertEqual(names(program, ["v1", "x"], "get"), [], "a method outside the nine meets only rules without methods")
        XCTAssertEqual(names(program, ["v1", "admin"], "DELETE"), ["writes"])
        XCTAssertEqual(names(program, ["v1", "admin"], "GET"), ["reads", "writes"])
        XCTAssertEqual(names(program, ["other"], "GET"), [])
        // Splits are sorted, disjoint, and group methods with the same outcome.
        for node in program.pathNodes {
            XCTAssertLessThanOrEqual(node.methodSplits.count, 9)
            var seen: UInt16 = 0
            for split in node.methodSplits {
                XCTAssertEqual(split.methods & seen, 0)
                XCTAssertEqual(split.methods & ~MethodMask.all, 0)
                seen |= split.methods
            }
            XCTAssertEqual(node.methodSplits.map(\.methods), node.methodSplits.map(\.methods).sorted())
        }
        let leaf = program.pathNodes[Int(TrieWalk.pathNode(program, domainClass: TrieWalk.domainClass(program, reversedLabels: ["com", "example", "api"]), segments: ["v1", "x"]))]
        XCTAssertEqual(leaf.methodSplits.map(\.methods), [0b11, 0b1100])
        XCTAssertEqual(try BundleReader().read(BundleWriter().write(program)), program)
    }

    func testNodesWithoutMethodRulesHaveNoSplits() throws {
        let (program, _) = try compileText([entry("plain", "  mode: blacklist\n  rules:\n    - { domain: api.example.com, path: /v1/** }")])
        XCTAssertTrue(program.pathNodes.allSatisfy(\.methodSplits.isEmpty))
    }

    func testAWhitelistExemptionByMethod() throws {
        let (program, _) = try compileText([entry("docs", "  mode: whitelist\n  rules:\n    - { path: /docs/**, methods: [GET] }")])
        XCTAssertEqual(names(program, ["docs"], "GET"), [])
        XCTAssertEqual(names(program, ["docs"], "POST"), ["docs"])
        XCTAssertEqual(names(program, ["docs"], "PROPFIND"), ["docs"])
    }

    func testAllowCorsPreflightIsLowered() throws {
        let (program, _) = try compileText([
            entry("a", "  mode: blacklist\n  rules: [ { path: /a } ]", extra: "allowCorsPreflight: true\n"),
            entry("b", "  mode: blacklist\n  rules: [ { path: /b } ]"),
        ])
        XCTAssertEqual(program.entries.map(\.allowCorsPreflight), [true, false])
    }

    func testRuleChecksCompareMethods() throws {
        let rules = { (lines: [String]) in self.entry("api", "  mode: blacklist\n  rules:\n" + lines.map { "    - " + $0 }.joined(separator: "\n")) }
        let distinct = try compileText([rules(["{ path: /a, methods: [GET] }", "{ path: /a, methods: [POST] }"])]).diagnostics
        XCTAssertEqual(distinct.map(\.code), [], "same path, different methods: neither repeats nor shadows the other")
        let repeated = try compileText([rules(["{ path: /a, methods: [GET] }", "{ path: /a, methods: [GET] }"])]).diagnostics
        XCTAssertEqual(repeated.map(\.code), [.duplicateRule])
        let shadowed = try compileText([rules(["{ path: /a, methods: [GET, POST] }", "{ path: /a, methods: [GET] }"])]).diagnostics
        XCTAssertEqual(shadowed.map(\.code), [.shadowedRule])
        let byAnyMethod = try compileText([rules(["{ path: /a/** }", "{ path: /a/b, methods: [GET] }"])]).diagnostics
        XCTAssertEqual(byAnyMethod.map(\.code), [.shadowedRule], "a rule without methods covers every method")
        let notByFewer = try compileText([rules(["{ path: /a/**, methods: [GET] }", "{ path: /a/b }"])]).diagnostics
        XCTAssertEqual(notByFewer.map(\.code), [])
        let whitelist = try compileText([entry("w", "  mode: whitelist\n  rules: [ { methods: [GET] } ]")]).diagnostics
        XCTAssertEqual(whitelist.map(\.code), [], "a whitelist rule for GET only does not match everything")
    }
}

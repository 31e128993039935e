import BundleFormat
import Compiler
import XCTest

/// What lowering emits: enabled entries only, sorted by name, with their own keys,
/// rules and derived algorithm lists (`Tests/Fixtures/compile/lowering/`).
final class LoweringTests: XCTestCase {
    func testEnabledEntriesAreEmittedSortedByName() throws {
        let compiled = try compile([compileFixture("lowering")])
        XCTAssertEqual(compiled.policySet.entries.map(\.name.value), ["zulu", "mike", "alpha", "echo", "charlie", "bravo"], "file order")
        XCTAssertEqual(compiled.program.entries.map(\.name), ["alpha", "bravo", "charlie", "echo", "zulu"])
        XCTAssertEqual(try BundleReader().read(compiled.bundle), compiled.program)
    }

    func testDisabledEntriesLeaveNothingBehind() throws {
        let program = try compile([compileFixture("lowering")]).program
        XCTAssertFalse(program.entries.contains { $0.name == "mike" })
        XCTAssertFalse(program.rules.contains { $0.domain == "disabled.test" })
        XCTAssertFalse(program.keys.contains { $0.kid == "disabled-key" })
        XCTAssertFalse(program.domainNodes.contains { $0.edges.contains { $0.label == "disabled" } })
        XCTAssertTrue(protectingNames(program, Request(host: "disabled.test", path: "/")).isSubset(of: ["alpha"]))
    }

    func testRulesAndKeysBelongToTheirEntries() throws {
        let program = try compile([compileFixture("lowering")]).program
        let domainsByEntry = Dictionary(grouping: program.rules) { program.entries[Int($0.entry)].name }.mapValues { $0.map(\.domain) }
        XCTAssertEqual(domainsByEntry, [
            "alpha": ["alpha.test"], "bravo": ["bravo.test"], "charlie": ["charlie.test"],
            "echo": ["echo.test"], "zulu": ["zulu.test", "*.zulu.test"],
        ])
        XCTAssertEqual(program.rules.first { $0.entry == 1 }?.path, "/v1/*/items")
        let kidsByEntry = Dictionary(uniqueKeysWithValues: program.entries.map { entry in
            (entry.name, entry.keyIndices.map { program.keys[Int($0)].kid ?? "-" })
        })
        XCTAssertEqual(kidsByEntry["alpha"].map(Set.init), ["a512", "a256"])
        XCTAssertEqual(kidsByEntry["zulu"], ["z1"])
        XCTAssertEqual(program.entries.flatMap(\.keyIndices).sorted(), Array(0..<UInt32(program.keys.count)), "each key belongs to one entry")
        let zulu = try XCTUnwrap(program.entries.first { $0.name == "zulu" })
        XCTAssertEqual(program.keys[Int(zulu.keyIndices[0])].material, .secretFromEnvironment("ZULU_SECRET"))
        XCTAssertEqual(program.keys[Int(zulu.keyIndices[0])].algorithm, "HS384")
        XCTAssertEqual(zulu.tokenLocations.map(\.name), ["x-zulu-token"], "header names are lowercased")
    }

    func testAlgorithmsDefaultToWhatTheKeysAllow() throws {
        let program = try compile([compileFixture("lowering")]).program
        let algorithms = Dictionary(uniqueKeysWithValues: program.entries.map { ($0.name, $0.algorithms) })
        XCTAssertEqual(algorithms["zulu"], ["HS384"])
        XCTAssertEqual(algorithms["alpha"], ["HS256", "HS512"], "derived lists are in a fixed order, not key order")
        XCTAssertEqual(algorithms["charlie"], ["HS256"])
        XCTAssertEqual(algorithms["echo"], ["ES256"])
        XCTAssertEqual(algorithms["bravo"], ["HS512", "HS256"], "an explicit allow-list is kept as written")
    }

    func testDisabledEntriesAreStillChecked() throws {
        let workspace = try PolicyWorkspace()
        try workspace.write("set.yaml", """
            version: 1
            name: on
            issuer: https://on.test
            jwks: \(environmentJWKS())
            authorization: { mode: blacklist, rules: [ { domain: on.test } ] }
            ---
            version: 1
            name: off
            enabled: false
            issuer: https://off.test
            jwks: { keys: [ { kty: oct, kid: k1, alg: HS256, kEnv: not_an_env_name } ] }
            authorization: { mode: blacklist, rules: [ { domain: off.test } ] }
            """)
        let outcome = Pipeline().compile(paths: [workspace.path])
        XCTAssertTrue(outcome.check.diagnostics.hasErrors)
        XCTAssertNil(outcome.bundle)
        XCTAssertNil(outcome.program)
    }
}

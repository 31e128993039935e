import Foundation
import XCTest

/// Every invalid fixture under `Tests/Fixtures/invalid/` has its `gatepass check` output
/// pinned in `Golden/check/<fixture>.txt`. A fixture may carry extra arguments in a
/// `<fixture>.args` file beside it.
final class CheckGoldenTests: XCTestCase {
    static let fixtures = "Tests/Fixtures/invalid"

    func fixtureNames() throws -> [String] {
        let directory = GoldenFile.repositoryRoot.appendingPathComponent(Self.fixtures)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasSuffix(".args") && !$0.hasPrefix(".") && $0 != "keys" }
            .sorted()
    }

    func testEveryInvalidFixtureMatchesItsGoldenDiagnostics() throws {
        let names = try fixtureNames()
        XCTAssertGreaterThan(names.count, 20)
        for name in names {
            let path = "\(Self.fixtures)/\(name)"
            let stem = name.hasSuffix(".yaml") ? String(name.dropLast(5)) : name
            var arguments = ["check", path]
            let argsFile = GoldenFile.repositoryRoot.appendingPathComponent("\(Self.fixtures)/\(stem).args")
            if let extra = try? String(contentsOf: argsFile, encoding: .utf8) {
                arguments += extra.split(whereSeparator: \.isWhitespace).map(String.init)
            }
            let output = try GatepassProcess.run(arguments)
            XCTAssertEqual(output.status, 1, "\(name) must fail the check:\n\(output.stderr)")
            XCTAssertTrue(output.stderr.contains("error[GP") || output.stderr.contains("warning[GP"), "\(name) printed no diagnostic")
            GoldenFile.assertMatches(output.transcript(command: arguments), golden: "check/\(stem).txt")
        }
    }

    func testExamplePoliciesAreClean() throws {
        let output = try GatepassProcess.run(["check", "Policies"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stderr, "")
        XCTAssertTrue(output.stdout.hasPrefix("0 errors, 0 warnings in "), output.stdout)
    }

    func testExitCodes() throws {
        XCTAssertEqual(try GatepassProcess.run(["check", "Policies"]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["check", "\(Self.fixtures)/unknown-keys.yaml"]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["check", "does/not/exist"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["check"]).status, 2, "no paths is a usage error")
        XCTAssertEqual(try GatepassProcess.run(["check", "--no-such-flag", "Policies"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["--help"]).status, 0)
    }

    func testStrictTurnsWarningsIntoFailure() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-strict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // An empty directory gives a warning and no errors.
        XCTAssertEqual(try GatepassProcess.run(["check", directory.path]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["check", "--strict", directory.path]).status, 1)
    }

    func testMaxErrorsLimitsPrintedErrors() throws {
        let output = try GatepassProcess.run(["check", "--max-errors", "2", "\(Self.fixtures)/path-patterns.yaml"])
        XCTAssertEqual(output.status, 1)
        XCTAssertEqual(output.stderr.components(separatedBy: ": error[").count - 1, 2)
    }
}

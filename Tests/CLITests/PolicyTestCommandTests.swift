import Foundation
import XCTest

/// `gatepass test`: the example policies pass with full coverage; failure output, test-file
/// diagnostics and exit codes are pinned.
final class PolicyTestCommandTests: XCTestCase {
    static let fixtures = "Tests/Fixtures/policy-tests"

    func testExamplePoliciesPassWithFullCoverage() throws {
        let output = try GatepassProcess.run(["test", "--coverage", "--coverage-threshold", "100", "Policies"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let lines = output.stdout.split(separator: "\n")
        XCTAssertTrue(lines.last?.hasSuffix(" passed, 0 failed") ?? false, output.stdout)
        XCTAssertTrue(output.stdout.contains("(100%)"), output.stdout)
    }

    func testFailureOutputMatchesTheGoldenFile() throws {
        let arguments = ["test", "\(Self.fixtures)/failing"]
        let output = try GatepassProcess.run(arguments)
        XCTAssertEqual(output.status, 1)
        XCTAssertTrue(output.stdout.hasSuffix("1 passed, 3 failed\n"), output.stdout)
        GoldenFile.assertMatches(output.transcript(command: arguments), golden: "test/failing.txt")
    }

    func testInvalidTestFilesGetLocatedDiagnostics() throws {
        let arguments = ["test", "\(Self.fixtures)/invalid"]
        let output = try GatepassProcess.run(arguments)
        XCTAssertEqual(output.status, 1)
        GoldenFile.assertMatches(output.transcript(command: arguments), golden: "test/invalid.txt")
        let github = try GatepassProcess.run(["test", "--format", "github", "\(Self.fixtures)/invalid"])
        XCTAssertTrue(github.stdout.contains("::error file=\(Self.fixtures)/invalid/api.test.yaml,line=7,col=5,"), github.stdout)
    }

    func testNowOverridesTheFileClock() throws {
        // A year later every token the file signs is still fresh (relative times), but the
        // literal expectations do not change: the run passes or fails the same way.
        let output = try GatepassProcess.run(["test", "--now", "1798761600", "Policies"])
        XCTAssertEqual(output.status, 0, output.stdout)
    }

    func testCoverageThresholdFailsTheRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-cov-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = GoldenFile.repositoryRoot.appendingPathComponent("\(Self.fixtures)/failing/api.yaml")
        try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent("api.yaml"))
        try Data("""
        version: 1
        now: 1767225600
        cases:
          - name: public path
            request: { host: api.example.com, path: /status }
            expect: { decision: allow }
        """.utf8).write(to: directory.appendingPathComponent("api.test.yaml"))
        let passing = try GatepassProcess.run(["test", "--coverage", directory.path])
        XCTAssertEqual(passing.status, 0, passing.stdout)
        XCTAssertTrue(passing.stdout.contains("region not exercised"), passing.stdout)
        XCTAssertTrue(passing.stdout.contains("claim requirement not exercised"), passing.stdout)
        let failing = try GatepassProcess.run(["test", "--coverage-threshold", "90", directory.path])
        XCTAssertEqual(failing.status, 1, failing.stdout)
        XCTAssertTrue(failing.stdout.contains("below the threshold of 90%"), failing.stdout)
        XCTAssertTrue(failing.stdout.hasSuffix("1 passed, 0 failed\n"), failing.stdout)
    }

    func testUsageAndIOErrorsExitTwo() throws {
        XCTAssertEqual(try GatepassProcess.run(["test", "no/such/dir"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["test", "--coverage-threshold", "x", "Policies"]).status, 2)
    }
}

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
        XCTAssertTrue(output.stdout.hasSuffix("1 passed, 5 failed\n"), output.stdout)
        GoldenFile.assertMatches(output.transcript(command: arguments), golden: "test/failing.txt")
    }

    /// Machine formats: a GP700 annotation per failing case at the case's line (GitHub,
    /// JSON, SARIF validated against its schema) and JUnit XML with a test case per case.
    func testMachineFormatsMatchTheirGoldenFiles() throws {
        for (format, golden) in [("github", "failing.github.txt"), ("json", "failing.json"), ("sarif", "failing.sarif.json"), ("junit", "failing.junit.xml")] {
            let arguments = ["test", "--format", format, "\(Self.fixtures)/failing"]
            let output = try GatepassProcess.run(arguments)
            XCTAssertEqual(output.status, 1, "\(format): a failing case fails the run")
            GoldenFile.assertMatches(output.stdout, golden: "test/\(golden)")
        }
        let github = try GatepassProcess.run(["test", "--format", "github", "\(Self.fixtures)/failing"]).stdout
        XCTAssertEqual(github.split(separator: "\n").filter { $0.hasPrefix("::error ") && $0.contains("title=GP700") }.count, 5)
        XCTAssertTrue(github.contains("::error file=\(Self.fixtures)/failing/api.test.yaml,line=11,col=11,"), github)
        XCTAssertTrue(github.hasSuffix("1 passed, 5 failed\n"), github)
        let junit = try GatepassProcess.run(["test", "--format", "junit", "\(Self.fixtures)/failing"]).stdout
        XCTAssertEqual(try Self.junitCounts(junit), "6 5")
        let passing = try GatepassProcess.run(["test", "--format", "junit", "Policies"], environment: ["BILLING_WEBHOOK_SECRET": ""])
        XCTAssertEqual(passing.status, 0, passing.stderr)
        XCTAssertEqual(try Self.junitCounts(passing.stdout), "40 0")
    }

    /// Parses JUnit XML with Python's parser (well-formedness included): "cases failures".
    static func junitCounts(_ xml: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sys, xml.etree.ElementTree as ET
            root = ET.fromstring(sys.stdin.read())
            print(len(root.findall('.//testcase')), len(root.findall('.//testcase/failure')))
            """]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(xml.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTestSARIFValidatesAgainstThePublishedSchema() throws {
        let output = try GatepassProcess.run(["test", "--format", "sarif", "\(Self.fixtures)/failing"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-test-sarif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("report.sarif")
        try Data(output.stdout.utf8).write(to: file)
        let schema = GoldenFile.repositoryRoot.appendingPathComponent("Tests/Fixtures/sarif/sarif-schema-2.1.0.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
                             schema, file.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "the SARIF report of `gatepass test` is valid SARIF 2.1.0")
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

    /// Test cases set a method and headers; coverage counts method splits and CORS
    /// preflights as regions of their own and names their methods.
    func testCoverageCountsMethodRegionsAndPreflights() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-methods-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("""
        version: 1
        name: docs
        issuer: https://auth.example.com
        jwks: {keys: [{kty: OKP, crv: Ed25519, x: N9U1aWxtwbHgcb1GT8_mRwFFKQ62HQqItV4JhU-E2xQ}]}
        allowCorsPreflight: true
        authorization:
          mode: whitelist
          rules:
            - {path: /docs/**, methods: [GET, HEAD]}
        """.utf8).write(to: directory.appendingPathComponent("docs.yaml"))
        let cases = [
            "  - name: reading the docs is public\n    request: { method: GET, host: example.com, path: /docs/a }\n    expect: { decision: allow, reason: no_auth_required }",
            "  - name: writing them needs a token\n    request: { method: POST, host: example.com, path: /docs/a }\n    expect: { decision: deny, reason: token_missing }",
            "  - name: a preflight passes\n    request: { method: OPTIONS, host: example.com, path: /docs/a, headers: { Origin: https://app.example.com, Access-Control-Request-Method: POST } }\n    expect: { decision: allow, status: 200, reason: cors_preflight }",
            "  - name: other paths need a token\n    request: { host: example.com, path: /other }\n    expect: { decision: deny, reason: token_missing }",
            "  - name: other paths let preflights through\n    request: { method: OPTIONS, host: example.com, path: /other, headers: { Origin: https://app.example.com, Access-Control-Request-Method: GET } }\n    expect: { decision: allow, reason: cors_preflight }",
        ]
        func write(_ selected: [String]) throws {
            try Data(("version: 1\nnow: 1767225600\ncases:\n" + selected.joined(separator: "\n") + "\n").utf8)
                .write(to: directory.appendingPathComponent("docs.test.yaml"))
        }
        try write(cases)
        let full = try GatepassProcess.run(["test", "--coverage", "--coverage-threshold", "100", directory.path])
        XCTAssertEqual(full.status, 0, full.stdout + full.stderr)
        XCTAssertTrue(full.stdout.hasSuffix("5 passed, 0 failed\n"), full.stdout)
        try write([cases[0], cases[3]])
        let partial = try GatepassProcess.run(["test", "--coverage", directory.path])
        XCTAssertEqual(partial.status, 0, partial.stdout + partial.stderr)
        // Regions are decided alike: protected (any path, the other methods), public (GET and
        // HEAD below /docs) and preflights; the two cases leave the preflights.
        XCTAssertTrue(partial.stdout.contains("coverage: 2 of 3 decision regions"), partial.stdout)
        XCTAssertTrue(partial.stdout.contains("methods OPTIONS (CORS preflight) (public)"), partial.stdout)
        try write([cases[1], cases[2]])
        let noReads = try GatepassProcess.run(["test", "--coverage", directory.path])
        XCTAssertTrue(noReads.stdout.contains("path /docs, methods GET, HEAD (public)"), noReads.stdout)
    }

    func testUsageAndIOErrorsExitTwo() throws {
        XCTAssertEqual(try GatepassProcess.run(["test", "no/such/dir"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["test", "--coverage-threshold", "x", "Policies"]).status, 2)
    }
}

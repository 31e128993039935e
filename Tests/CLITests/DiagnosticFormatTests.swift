import Foundation
import XCTest

/// `--format text|json|sarif|github`: golden output for each, SARIF validated against the
/// published 2.1.0 schema (committed under Tests/Fixtures/sarif), JSON parsed back.
final class DiagnosticFormatTests: XCTestCase {
    static let fixtures = ["duplicate-key", "key-errors-json", "set-analysis"]

    func path(_ fixture: String) -> String {
        let file = "Tests/Fixtures/invalid/\(fixture).yaml"
        return FileManager.default.fileExists(atPath: GoldenFile.repositoryRoot.appendingPathComponent(file).path) ? file : "Tests/Fixtures/invalid/\(fixture)"
    }

    func testEveryFormatMatchesItsGoldenFile() throws {
        for fixture in Self.fixtures {
            for format in ["text", "json", "sarif", "github"] {
                let arguments = ["check", "--format", format, path(fixture)]
                let output = try GatepassProcess.run(arguments)
                XCTAssertEqual(output.status, 1, "\(fixture) \(format)")
                GoldenFile.assertMatches(output.transcript(command: arguments), golden: "formats/\(fixture).\(format).txt")
            }
        }
    }

    /// A pull request that leaks a private key next to a typo gets both in its first SARIF report.
    func testTheFirstSARIFReportNamesALeakedKeyBehindATypo() throws {
        let output = try GatepassProcess.run(["check", "--format", "sarif", path("typo-and-leaked-key")])
        XCTAssertEqual(output.status, 1)
        let log = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let runs = try XCTUnwrap(log["runs"] as? [[String: Any]])
        let results = try XCTUnwrap(runs.first?["results"] as? [[String: Any]])
        XCTAssertEqual(results.compactMap { $0["ruleId"] as? String }.sorted(), ["GP203", "GP308"])
    }

    func testJSONIsOneObjectPerDiagnostic() throws {
        let output = try GatepassProcess.run(["check", "--format", "json", path("key-errors-json")])
        let array = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(array.count, 3)
        for object in array {
            for key in ["code", "severity", "message", "file", "line", "column", "endLine", "endColumn", "notes", "hint"] {
                XCTAssertNotNil(object[key], "missing \(key)")
            }
        }
        XCTAssertEqual(array.first?["code"] as? String, "GP302")
        XCTAssertEqual(array.first?["line"] as? Int, 8)
    }

    func testSARIFValidatesAgainstThePublishedSchema() throws {
        let schema = GoldenFile.repositoryRoot.appendingPathComponent("Tests/Fixtures/sarif/sarif-schema-2.1.0.json").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-sarif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logs: [String] = []
        for fixture in Self.fixtures + ["wrapped-jwks-json", "rule-analysis", "too-large"] {
            let output = try GatepassProcess.run(["check", "--format", "sarif", path(fixture)])
            let log = directory.appendingPathComponent("\(fixture).sarif").path
            try Data(output.stdout.utf8).write(to: URL(fileURLWithPath: log))
            logs.append(log)
        }
        let clean = try GatepassProcess.run(["check", "--format", "sarif", "Policies"])
        XCTAssertEqual(clean.status, 0)
        let cleanLog = directory.appendingPathComponent("clean.sarif").path
        try Data(clean.stdout.utf8).write(to: URL(fileURLWithPath: cleanLog))
        logs.append(cleanLog)

        let script = """
        import json, sys
        import jsonschema
        schema = json.load(open(sys.argv[1]))
        for path in sys.argv[2:]:
            jsonschema.Draft4Validator(schema).validate(json.load(open(path)))
        print("valid", len(sys.argv) - 2)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schema] + logs
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, "SARIF failed schema validation (scripts/test installs python3-jsonschema):\n\(stderr)")
        XCTAssertTrue(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("valid \(logs.count)"))
    }

    func testGitHubAnnotationsEscapeNewlinesAndCarryTheCode() throws {
        let output = try GatepassProcess.run(["check", "--format", "github", path("duplicate-key")])
        let lines = output.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("::error file=Tests/Fixtures/invalid/duplicate-key.yaml,line=5,col=1,"), String(lines[0]))
        XCTAssertTrue(lines[0].contains("title=GP104::"))
        XCTAssertTrue(lines[0].contains("%0Ahelp: "))
        XCTAssertEqual(lines.last, "2 errors, 0 warnings in 1 file")
    }

    /// The exit codes documented in the README's table.
    func testExitCodeTable() throws {
        XCTAssertEqual(try GatepassProcess.run(["check", "Policies"]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["check", "--format", "json", "Policies"]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["check", path("duplicate-key")]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["check", "--strict", path("rule-analysis")]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["check", path("rule-analysis")]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["compile", path("rule-analysis"), "-o", "/dev/null"]).status, 0, "compile exits 0 with warnings")
        XCTAssertEqual(try GatepassProcess.run(["check", "--format", "xml", "Policies"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["check", "no/such/dir"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["inspect", "no/such.gpb"]).status, 2)
    }
}

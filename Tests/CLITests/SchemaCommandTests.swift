import Foundation
import XCTest

/// `gatepass schema`: the printed schemas are pinned in Golden/schema/, and Python's
/// `jsonschema` (draft 2020-12) accepts every file under Policies/ and the valid fixtures
/// the decoder accepts, and rejects the invalid fixtures under Tests/Fixtures/schema/,
/// which the decoder rejects too.
final class SchemaCommandTests: XCTestCase {
    static let kinds = ["policy", "test"]

    func testEachSchemaMatchesItsGoldenFile() throws {
        for kind in Self.kinds {
            let output = try GatepassProcess.run(["schema", kind])
            XCTAssertEqual(output.status, 0, output.stderr)
            XCTAssertEqual(output.stderr, "")
            GoldenFile.assertMatches(output.stdout, golden: "schema/\(kind).schema.json")
        }
        XCTAssertEqual(try GatepassProcess.run(["schema"]).stdout, try GatepassProcess.run(["schema", "policy"]).stdout, "policy is the default")
    }

    func testOutputWritesTheSameBytes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for kind in Self.kinds {
            let path = directory.appendingPathComponent("\(kind).json").path
            let output = try GatepassProcess.run(["schema", kind, "--output", path])
            XCTAssertEqual(output.status, 0, output.stderr)
            XCTAssertEqual(output.stdout, "")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertEqual(written, try GatepassProcess.run(["schema", kind]).stdout)
        }
    }

    func testUsageErrors() throws {
        XCTAssertEqual(try GatepassProcess.run(["schema", "policies"]).status, 2)
        let unwritable = try GatepassProcess.run(["schema", "-o", "/no/such/dir/policy.json"])
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.stderr.contains("cannot write"), unwritable.stderr)
    }

    /// Every example policy and test file is valid; every invalid fixture is rejected by the
    /// schema and by `gatepass check` / `gatepass test`.
    func testPythonJSONSchemaAgreesWithTheDecoder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var schemas: [String] = []
        for kind in Self.kinds {
            let path = directory.appendingPathComponent("\(kind).json").path
            XCTAssertEqual(try GatepassProcess.run(["schema", kind, "-o", path]).status, 0)
            schemas.append(path)
        }
        let root = GoldenFile.repositoryRoot
        let policies = try yamlFiles(under: "Policies")
        XCTAssertGreaterThanOrEqual(policies.count, 8)
        let fixtures = try yamlFiles(under: "Tests/Fixtures/schema")
        let policyTests = try yamlFiles(under: "Tests/Fixtures/policy-tests")
        let invalidTestFile = "Tests/Fixtures/policy-tests/invalid/api.test.yaml"
        let invalid = fixtures.filter { !$0.hasSuffix("jwks-json.yaml") } + [invalidTestFile]
        XCTAssertGreaterThanOrEqual(invalid.count, 8)
        // Valid policies and test files used by other tests: an editor must not flag them.
        let valid = try (fixtures + policyTests).filter { !invalid.contains($0) }
            + yamlFiles(under: "Tests/Fixtures/compile") + yamlFiles(under: "Tests/Fixtures/diff")
        XCTAssertGreaterThanOrEqual(valid.count, 14)

        let script = """
        import json, sys
        import jsonschema, yaml
        policy, test = (json.load(open(path)) for path in sys.argv[1:3])
        for schema in (policy, test):
            jsonschema.Draft202012Validator.check_schema(schema)
        for path in sys.argv[3:]:
            schema = test if path.endswith(".test.yaml") else policy
            validator = jsonschema.Draft202012Validator(schema)
            documents = [d for d in yaml.safe_load_all(open(path)) if d is not None]
            errors = [e.message for d in documents for e in validator.iter_errors(d)]
            print(("invalid " if errors else "valid ") + path + ("" if not errors else " " + json.dumps(errors)[:300]))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + schemas + policies + valid + invalid
        process.currentDirectoryURL = root
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let stdout = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3 with jsonschema and yaml is needed (scripts/test installs them):\n\(stderr)")
        let verdicts = Dictionary(stdout.split(separator: "\n").map { line -> (String, String) in
            let parts = line.split(separator: " ", maxSplits: 2)
            return (String(parts[1]), String(line))
        }, uniquingKeysWith: { first, _ in first })
        for path in policies + valid {
            XCTAssertTrue(verdicts[path]?.hasPrefix("valid ") == true, "the schema rejects \(path): \(verdicts[path] ?? "no verdict")")
        }
        for path in invalid {
            XCTAssertTrue(verdicts[path]?.hasPrefix("invalid ") == true, "the schema accepts \(path)")
            let decoder = path.hasSuffix(".test.yaml") ? try GatepassProcess.run(["test", "Policies", path]) : try GatepassProcess.run(["check", path])
            XCTAssertEqual(decoder.status, 1, "the decoder accepts \(path)")
        }
        for path in valid where !path.hasSuffix(".test.yaml") {
            XCTAssertEqual(try GatepassProcess.run(["check", path]).status, 0, "the decoder rejects \(path)")
        }
    }

    func yamlFiles(under folder: String) throws -> [String] {
        let base = GoldenFile.repositoryRoot.appendingPathComponent(folder)
        return try FileManager.default.subpathsOfDirectory(atPath: base.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
            .map { "\(folder)/\($0)" }
    }

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The documented editor setup: the modeline, a VS Code settings block that parses, and
    /// the command in the README's CLI reference.
    func testTheEditorSetupIsDocumented() throws {
        let root = GoldenFile.repositoryRoot
        let language = try String(contentsOf: root.appendingPathComponent("docs/policy-language.md"), encoding: .utf8)
        XCTAssertTrue(language.contains("# yaml-language-server: $schema="))
        XCTAssertTrue(language.contains("gatepass schema --output "))
        XCTAssertTrue(language.contains("gatepass schema test --output "))
        let section = try XCTUnwrap(language.range(of: "## Editor support").map { language[$0.upperBound...] })
        let open = try XCTUnwrap(section.range(of: "```json\n"))
        let close = try XCTUnwrap(section[open.upperBound...].range(of: "```"))
        let settings = try JSONSerialization.jsonObject(with: Data(section[open.upperBound..<close.lowerBound].utf8)) as? [String: Any]
        XCTAssertNotNil(settings?["yaml.schemas"] as? [String: Any])
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("### `gatepass schema [policy|test] [--output FILE]`"))
    }
}

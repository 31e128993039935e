import Foundation
import XCTest

/// `gatepass diff`: every format pinned in `Golden/diff/` on a pair of policy sets that
/// shows every change class, the `--fail-on` gate, bundles, and two git revisions.
final class DiffTests: XCTestCase {
    static let old = "Tests/Fixtures/diff/old"
    static let new = "Tests/Fixtures/diff/new"

    func testTheReadableReportMatchesTheGoldenFile() throws {
        let output = try GatepassProcess.run(["diff", Self.old, Self.new])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stderr, "")
        GoldenFile.assertMatches(output.stdout, golden: "diff/report.txt")
        let firstSection = output.stdout.components(separatedBy: "\n\n").dropFirst().first ?? ""
        XCTAssertTrue(firstSection.hasPrefix("newly-public"), "a reviewer reads newly public regions first")
    }

    func testJSONMatchesTheGoldenFile() throws {
        let output = try GatepassProcess.run(["diff", Self.old, Self.new, "--format", "json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "diff/report.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let summary = try XCTUnwrap(object["summary"] as? [String: Int])
        for name in ["newly-public", "newly-protected", "moved", "issuer", "keys", "audiences", "algorithms", "claims",
                     "passthrough", "forwarded-claims"] {
            XCTAssertGreaterThan(summary[name] ?? 0, 0, "the fixture pair shows \(name)")
        }
    }

    func testMarkdownMatchesTheGoldenFile() throws {
        let output = try GatepassProcess.run(["diff", Self.old, Self.new, "--format", "markdown"])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "diff/report.md")
        XCTAssertTrue(output.stdout.contains("[!WARNING]"), "newly public regions are called out")
    }

    /// Method conditions and CORS preflights split regions: the report names the methods
    /// whose decision changes, and preflights as their own witnesses.
    func testMethodSplitRegionsMatchTheGoldenFiles() throws {
        let old = "Tests/Fixtures/diff-methods/old", new = "Tests/Fixtures/diff-methods/new"
        let output = try GatepassProcess.run(["diff", old, new])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "diff/methods.txt")
        XCTAssertTrue(output.stdout.contains("POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|other docs.example.com /guides"), output.stdout)
        XCTAssertFalse(output.stdout.contains("GET|HEAD docs.example.com"), "reading the docs does not change")
        XCTAssertTrue(output.stdout.contains("OPTIONS(preflight) api.example.com /v1"), output.stdout)
        let json = try GatepassProcess.run(["diff", old, new, "--format", "json"])
        GoldenFile.assertMatches(json.stdout, golden: "diff/methods.json")
        XCTAssertTrue(json.stdout.contains(#""corsPreflight":true"#) || json.stdout.contains(#""corsPreflight": true"#), json.stdout)
        let gate = try GatepassProcess.run(["diff", old, new, "--fail-on", "newly-public"])
        XCTAssertEqual(gate.status, 1, "a preflight that becomes public is newly public")
    }

    func testNoChangesBetweenEqualSets() throws {
        let output = try GatepassProcess.run(["diff", Self.old, "./Tests/Fixtures/diff//old/", "--fail-on", "any"])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "diff/no-changes.txt")
    }

    func testFailOnExitsOneOnlyWhenSuchAChangeExists() throws {
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old, Self.new, "--fail-on", "newly-public"]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old, Self.new, "--fail-on", "keys,moved"]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old, Self.new, "--fail-on", "issuer", "--fail-on", "claims"]).status, 1)
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old, Self.new, "--fail-on", "any"]).status, 1)
        // Only the newly protected /healthz: no region became public.
        let narrower = try GatepassProcess.run(["diff", "Tests/Fixtures/diff/old/partner-api.yaml", "Tests/Fixtures/diff/old/partner-api.yaml",
                                                 "--fail-on", "newly-public"])
        XCTAssertEqual(narrower.status, 0, narrower.stderr)
        let reversed = try GatepassProcess.run(["diff", Self.new, Self.old, "--fail-on", "newly-public", "--format", "json"])
        XCTAssertEqual(reversed.status, 1, "read backwards, /healthz becomes public")
        XCTAssertTrue(reversed.stdout.contains(#""path":"/healthz""#), reversed.stdout)
    }

    func testUsageErrorsUnreadableInputAndBrokenPoliciesExitTwo() throws {
        let unknownClass = try GatepassProcess.run(["diff", Self.old, Self.new, "--fail-on", "newly-publik"])
        XCTAssertEqual(unknownClass.status, 2)
        XCTAssertTrue(unknownClass.stderr.contains("newly-publik"), unknownClass.stderr)
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["diff", Self.old, Self.new, "extra"]).status, 2)
        let missing = try GatepassProcess.run(["diff", Self.old, "Tests/Fixtures/diff/nowhere"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no such file or directory"), missing.stderr)
        let broken = try GatepassProcess.run(["diff", Self.old, "Tests/Fixtures/invalid/unknown-keys.yaml"])
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.stderr.contains("error[GP"), "the diagnostics are printed: \(broken.stderr)")
        XCTAssertTrue(broken.stderr.contains("does not compile"), broken.stderr)
        XCTAssertEqual(broken.stdout, "")
    }

    func withBundleNames(_ json: String) -> String {
        json.replacingOccurrences(of: "\"file\":\"\(Self.old)/", with: "\"file\":\"")
            .replacingOccurrences(of: "\"file\":\"\(Self.new)/", with: "\"file\":\"")
    }

    func testBundlesDiffLikeTheirSources() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let oldBundle = directory.appendingPathComponent("old.gpb").path
        let newBundle = directory.appendingPathComponent("new.bin").path
        XCTAssertEqual(try GatepassProcess.run(["compile", Self.old, "-o", oldBundle]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["compile", Self.new, "-o", newBundle]).status, 0)
        let fromSources = try GatepassProcess.run(["diff", Self.old, Self.new, "--format", "json"])
        for pair in [[oldBundle, newBundle], [oldBundle, Self.new], [Self.old, newBundle]] {
            let fromBundles = try GatepassProcess.run(["diff"] + pair + ["--format", "json"])
            XCTAssertEqual(fromBundles.status, 0, fromBundles.stderr)
            // A bundle names its files relative to the policy root; a directory's report
            // names them as given. Apart from that spelling, the reports are the same.
            XCTAssertEqual(withBundleNames(afterInputs(fromBundles.stdout)), withBundleNames(afterInputs(fromSources.stdout)), "\(pair)")
        }
        try Data("not a bundle".utf8).write(to: URL(fileURLWithPath: directory.appendingPathComponent("bad.gpb").path))
        let bad = try GatepassProcess.run(["diff", Self.old, directory.appendingPathComponent("bad.gpb").path])
        XCTAssertEqual(bad.status, 2)
    }

    func testTwoGitRevisionsAreReadWithoutACheckout() throws {
        let repository = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: repository) }
        let policies = repository.appendingPathComponent("Policies")
        try git(["init", "-q"], in: repository)
        try FileManager.default.copyItem(at: GoldenFile.repositoryRoot.appendingPathComponent(Self.old), to: policies)
        try git(["add", "-A"], in: repository)
        try git(["commit", "-q", "-m", "old policies"], in: repository)
        try FileManager.default.removeItem(at: policies)
        try FileManager.default.copyItem(at: GoldenFile.repositoryRoot.appendingPathComponent(Self.new), to: policies)
        try git(["add", "-A"], in: repository)
        try git(["commit", "-q", "-m", "new policies"], in: repository)
        // The working tree no longer matters: the revisions are read from git.
        try FileManager.default.removeItem(at: policies)

        let output = try GatepassProcess.run(["diff", "HEAD~1..HEAD", "Policies/"], in: repository)
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "diff/git.txt")
        XCTAssertTrue(output.stdout.contains("+ key "), "jwksFile contents come from the same revision")
        XCTAssertTrue(output.stdout.contains("Policies/partner-api.yaml:27:7"), "locations name repository paths")

        let gate = try GatepassProcess.run(["diff", "HEAD~1..HEAD", "Policies", "--fail-on", "newly-public", "--format", "markdown"], in: repository)
        XCTAssertEqual(gate.status, 1)
        let unknown = try GatepassProcess.run(["diff", "HEAD~5..HEAD", "Policies/"], in: repository)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("HEAD~5"), unknown.stderr)
    }

    // MARK: Helpers

    /// The JSON after the two input descriptions.
    func afterInputs(_ json: String) -> String {
        guard let range = json.range(of: #""regions":"#) else { return json }
        return String(json[range.lowerBound...])
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func git(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=Gatepass Tests", "-c", "user.email=tests@example.com",
                             "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"] + arguments
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "git \(arguments.joined(separator: " "))")
    }
}

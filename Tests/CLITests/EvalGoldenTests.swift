import Foundation
import XCTest

/// End to end: compile `Policies/`, evaluate requests with real signed tokens (valid,
/// expired, wrong key, wrong audience, missing, ambiguous, bypass attempts) and compare
/// every decision with `Golden/eval/policies.jsonl`.
final class EvalGoldenTests: XCTestCase {
    static let now = "1767225600"
    static let environment = ["BILLING_WEBHOOK_SECRET": "bQQ5kEsa8eOVCpqtJxcJgHDtNv_i0WyYbdptBLiQ-E0"]

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `gatepass` with the billing secret the example policies need at load time.
    func gatepass(_ arguments: [String], stdin: Data? = nil) throws -> GatepassProcess.Output {
        try GatepassProcess.run(arguments, environment: Self.environment, stdin: stdin)
    }

    func compilePolicies() throws -> String {
        let bundle = directory.appendingPathComponent("policy.gpb").path
        let output = try GatepassProcess.run(["compile", "Policies", "-o", bundle])
        XCTAssertEqual(output.status, 0, output.stderr)
        return bundle
    }

    func testExamplePolicyDecisionsMatchTheGoldenFile() throws {
        let bundle = try compilePolicies()
        let output = try gatepass(["eval", "--bundle", bundle, "--requests", "Tests/Fixtures/e2e/requests.jsonl", "--now", Self.now])
        XCTAssertEqual(output.status, 0, output.stderr)
        let requests = try String(contentsOf: GoldenFile.repositoryRoot.appendingPathComponent("Tests/Fixtures/e2e/requests.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let decisions = output.stdout.split(separator: "\n")
        XCTAssertEqual(decisions.count, requests.count, "one decision per request, in order")
        // Each golden line names its request, so a diff reads as "which case changed".
        var golden = ""
        for (request, decision) in zip(requests, decisions) {
            let name = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])?["id"] as? String)
            golden += "\(name)\t\(decision)\n"
        }
        GoldenFile.assertMatches(golden, golden: "eval/policies.tsv")
    }

    func testMalformedAndBlankLinesAreDecidedAndTheRunGoesOn() throws {
        let bundle = try compilePolicies()
        let lines = """
        {"host":"partner.example.com","path":"/healthz"}

        not json
        {"host":"partner.example.com"}
        {"host":"partner.example.com","path":"/healthz","method":"HEAD","headers":{"X-A":["1","2"]}}
        """
        let file = directory.appendingPathComponent("requests.jsonl")
        try Data(lines.utf8).write(to: file)
        let output = try gatepass(["eval", "--bundle", bundle, "--requests", file.path, "--now", Self.now])
        XCTAssertEqual(output.status, 0, output.stderr)
        let decisions = output.stdout.split(separator: "\n").map(String.init)
        guard decisions.count == 4 else { return XCTFail("the blank line is skipped, every other line decided: \(decisions)") }
        XCTAssertTrue(decisions[0].contains("\"reason\":\"no_auth_required\""))
        XCTAssertTrue(decisions[1].contains("\"reason\":\"bad_request\""))
        XCTAssertTrue(decisions[2].contains("\"reason\":\"bad_request\""), "a request without path is bad_request")
        XCTAssertTrue(decisions[3].contains("\"reason\":\"no_auth_required\""))
    }

    func testStandardInputAndQuickFlags() throws {
        let bundle = try compilePolicies()
        let piped = try gatepass(["eval", "--bundle", bundle, "--requests", "-", "--now", Self.now],
                                 stdin: Data("{\"host\":\"partner.example.com\",\"path\":\"/v1/orders\"}\n".utf8))
        XCTAssertTrue(piped.stdout.contains("\"reason\":\"token_missing\""), piped.stdout + piped.stderr)
        XCTAssertTrue(piped.stdout.contains("\"wwwAuthenticate\":\"Bearer realm=\\\"gatepass\\\"\""), piped.stdout)
        let quick = try gatepass(["eval", "--bundle", bundle, "--host", "partner.example.com", "--path", "/v1/orders",
                                             "--header", "Authorization: Bearer x.y.z", "--now", Self.now, "--explain"])
        XCTAssertEqual(quick.status, 0, quick.stderr)
        XCTAssertTrue(quick.stdout.contains("\"reason\":\"token_malformed\""), quick.stdout)
        XCTAssertTrue(quick.stdout.contains("\"explanation\":{"), quick.stdout)
        XCTAssertTrue(quick.stdout.contains("error=\\\"invalid_token\\\""), quick.stdout)
    }

    func testRequestFile() throws {
        let bundle = try compilePolicies()
        let file = directory.appendingPathComponent("request.json")
        try Data(#"{"method":"GET","host":"partner.example.com:443","path":"/healthz?x=1","headers":{"cookie":"a=b"}}"#.utf8).write(to: file)
        let output = try gatepass(["eval", "--bundle", bundle, "--request", file.path, "--now", Self.now])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.hasPrefix(#"{"decision":"allow","status":200,"reason":"no_auth_required","authentication":null"#), output.stdout)
    }

    /// `--explain` shows the method, the rules' methods and the entries a preflight passes.
    func testMethodsAndPreflightsInTheExplanation() throws {
        let policies = ["eval", "--policies", "Tests/Fixtures/diff-methods/new", "--now", Self.now, "--explain"]
        let write = try gatepass(policies + ["--host", "docs.example.com", "--path", "/guides/a", "--method", "POST"])
        XCTAssertEqual(write.status, 0, write.stderr)
        XCTAssertTrue(write.stdout.contains(#""reason":"token_missing""#), write.stdout)
        XCTAssertTrue(write.stdout.contains(#""method":"POST""#), write.stdout)
        let read = try gatepass(policies + ["--host", "docs.example.com", "--path", "/guides/a", "--method", "HEAD"])
        XCTAssertTrue(read.stdout.contains(#""reason":"no_auth_required""#), read.stdout)
        let preflight = try gatepass(policies + ["--host", "api.example.com", "--path", "/v1/items", "--method", "OPTIONS",
                                                 "--header", "Origin: https://app.example.com", "--header", "Access-Control-Request-Method: PUT",
                                                 "--header", "Authorization: Bearer abc"])
        XCTAssertEqual(preflight.status, 0, preflight.stderr)
        XCTAssertTrue(preflight.stdout.hasPrefix(#"{"decision":"allow","status":200,"reason":"cors_preflight","authentication":null"#), preflight.stdout)
        XCTAssertTrue(preflight.stdout.contains(#""corsPreflightPasses":["api"]"#), preflight.stdout)
        XCTAssertTrue(preflight.stdout.contains(#""remove":["authorization"]"#), "a present token is still removed: " + preflight.stdout)
        XCTAssertFalse(preflight.stdout.contains("wwwAuthenticate"), preflight.stdout)
        let options = try gatepass(policies + ["--host", "api.example.com", "--path", "/v1/items", "--method", "OPTIONS"])
        XCTAssertTrue(options.stdout.contains(#""reason":"token_missing""#), "an OPTIONS request without preflight headers: " + options.stdout)
    }

    func testBundleAndUsageErrorsExitTwo() throws {
        let bundle = try compilePolicies()
        XCTAssertEqual(try GatepassProcess.run(["eval", "--bundle", "missing.gpb", "--path", "/"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["eval", "--bundle", bundle]).status, 2, "no request given")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0x01
        let corrupted = directory.appendingPathComponent("corrupted.gpb")
        try bytes.write(to: corrupted)
        let output = try gatepass(["eval", "--bundle", corrupted.path, "--path", "/"])
        XCTAssertEqual(output.status, 2)
        XCTAssertTrue(output.stderr.contains("digest"), output.stderr)
        // A missing environment secret is a load error that names the variable.
        let noSecret = try GatepassProcess.run(["eval", "--bundle", bundle, "--path", "/"], environment: ["BILLING_WEBHOOK_SECRET": ""])
        XCTAssertEqual(noSecret.status, 2)
        XCTAssertTrue(noSecret.stderr.contains("BILLING_WEBHOOK_SECRET"), noSecret.stderr)
    }

    /// `--policies` compiles in memory and decides exactly as the compiled bundle does.
    func testPoliciesCompiledInMemoryDecideLikeTheBundle() throws {
        let bundle = try compilePolicies()
        let fromBundle = try gatepass(["eval", "--bundle", bundle, "--requests", "Tests/Fixtures/e2e/requests.jsonl", "--now", Self.now])
        let fromPolicies = try gatepass(["eval", "--policies", "Policies", "--requests", "Tests/Fixtures/e2e/requests.jsonl", "--now", Self.now])
        XCTAssertEqual(fromPolicies.status, 0, fromPolicies.stderr)
        // Messages name policy files as given (`Policies/…`); a bundle names them relative to its root.
        XCTAssertEqual(fromPolicies.stdout.replacingOccurrences(of: "(Policies/", with: "("), fromBundle.stdout)
        XCTAssertTrue(fromPolicies.stdout.contains("(Policies/internal-ai.yaml:"), fromPolicies.stdout)
        XCTAssertEqual(try GatepassProcess.run(["eval", "--bundle", bundle, "--policies", "Policies", "--path", "/"]).status, 2, "one source only")
        XCTAssertEqual(try GatepassProcess.run(["eval", "--path", "/"]).status, 2, "a source is needed")
        let broken = try gatepass(["eval", "--policies", "Tests/Fixtures/invalid/unknown-keys.yaml", "--path", "/"])
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.stderr.contains("error[GP203]") && broken.stderr.contains("do not compile"), broken.stderr)
    }

    /// An `id` is echoed; an unknown field is a `bad_request` that names it; a malformed
    /// line's decision names its line.
    func testIdsUnknownFieldsAndLineNumbers() throws {
        let lines = """
        {"id":"first","host":"partner.example.com","path":"/healthz"}

        {"id":7,"hots":"partner.example.com","path":"/healthz"}
        not json
        {"id":{"nested":true},"path":"/"}
        """
        let file = directory.appendingPathComponent("requests.jsonl")
        try Data(lines.utf8).write(to: file)
        let output = try gatepass(["eval", "--policies", "Policies", "--requests", file.path, "--now", Self.now])
        XCTAssertEqual(output.status, 0, output.stderr)
        let decisions = output.stdout.split(separator: "\n").map(String.init)
        guard decisions.count == 4 else { return XCTFail("\(decisions)") }
        XCTAssertTrue(decisions[0].hasPrefix(#"{"id":"first","decision":"allow""#), decisions[0])
        XCTAssertTrue(decisions[1].hasPrefix(#"{"id":7,"decision":"deny","status":400,"reason":"bad_request""#), decisions[1])
        XCTAssertTrue(decisions[1].contains("line 3: unknown request field `hots`; did you mean `host`?"), decisions[1])
        XCTAssertTrue(decisions[2].contains(#""message":"line 4: the request is not valid JSON"#), decisions[2])
        XCTAssertTrue(decisions[3].contains("line 5: `id` must be a string or an integer"), decisions[3])
    }

    /// A missing `kEnv` secret fails loading unless random ones are asked for.
    func testRandomMissingSecrets() throws {
        let environment = ["BILLING_WEBHOOK_SECRET": ""]
        let refused = try GatepassProcess.run(["eval", "--policies", "Policies", "--path", "/"], environment: environment)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("BILLING_WEBHOOK_SECRET") && refused.stderr.contains("--random-missing-secrets"), refused.stderr)
        let decided = try GatepassProcess.run(["eval", "--policies", "Policies", "--random-missing-secrets", "--host", "partner.example.com",
                                               "--path", "/healthz", "--now", Self.now], environment: environment)
        XCTAssertEqual(decided.status, 0, decided.stderr)
        XCTAssertTrue(decided.stdout.contains(#""reason":"no_auth_required""#), decided.stdout)
    }
}

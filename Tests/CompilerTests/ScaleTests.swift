import BundleFormat
import Compiler
import TestSupport
import XCTest

/// A large generated set compiles and reads back (a sanity check, not a benchmark).
final class ScaleTests: XCTestCase {
    func testTwoHundredEntriesTwoThousandRulesFourHundredKeys() throws {
        let workspace = try PolicyWorkspace()
        for file in 0..<4 {
            var documents: [String] = []
            for local in 0..<50 {
                let index = file * 50 + local
                var lines = [
                    "version: 1",
                    "name: service-\(String(index, radix: 10).leftPadded(to: 3))",
                    "issuer: https://issuer-\(index).example",
                    "jwks:",
                    "  keys:",
                    "    - { kty: oct, kid: a\(index), alg: HS256, kEnv: SECRET_A_\(index) }",
                    "    - { kty: oct, kid: b\(index), alg: HS512, kEnv: SECRET_B_\(index) }",
                    "authorization:",
                    "  mode: \(index % 5 == 0 ? "whitelist" : "blacklist")",
                    "  rules:",
                ]
                for rule in 0..<10 {
                    let domain = rule % 3 == 0 ? "\"*.svc\(index % 40).example.com\"" : "api\(index % 25).example.com"
                    lines.append("    - { domain: \(domain), path: /v\(rule % 4)/tenant-\(index)/r\(rule)/** }")
                }
                documents.append(lines.joined(separator: "\n"))
            }
            try workspace.write("set-\(file).yaml", documents.joined(separator: "\n---\n") + "\n")
        }
        let compiled = try compile([workspace.path])
        XCTAssertEqual(compiled.program.entries.count, 200)
        XCTAssertEqual(compiled.program.rules.count, 2_000)
        XCTAssertEqual(compiled.program.keys.count, 400)
        XCTAssertEqual(try BundleReader().read(compiled.bundle), compiled.program)
        // Entry sets here span four 64-bit words: compare some requests with the reference.
        var random = SplitMix64(seed: 0x5CA1E)
        for _ in 0..<60 {
            let index = Int.random(in: 0..<200, using: &random), rule = Int.random(in: 0..<10, using: &random)
            let host = Bool.random(using: &random) ? "api\(index % 25).example.com" : "x.svc\(index % 40).example.com"
            let path = "/v\(rule % 4)/tenant-\(index)/r\(rule)" + (Bool.random(using: &random) ? "/deeper" : "")
            let request = Request(host: host, path: path)
            XCTAssertEqual(protectingNames(compiled.program, request), ReferenceMatcher.protecting(compiled.policySet.entries, request), "\(request)")
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

import Foundation
import XCTest

/// Remote key sources end to end: `inspect` and `diff` of policies with `jwksUri` and
/// `discovery` (pinned in `Golden/`), and `compile --fetch-jwks` against a real HTTP
/// server on loopback (Python's `http.server`, started on a free port and stopped by its
/// pid), through the `gatepass-publish fetch` helper.
final class RemoteKeysCLITests: XCTestCase {
    static let publicJWKS = #"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"idp-1","x":"N9U1aWxtwbHgcb1GT8_mRwFFKQ62HQqItV4JhU-E2xQ"}]}"#
    static let poisonedJWKS = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"5KVoZRh6HkM8KNN7c0ny3GWoZ2BdvxVk2ss8R4Hh-e4","d":"wVh834BVy7btFC26dbvnQILDmE6gPX6dhq-m784kaKo"}]}"#

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-remote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testInspectShowsTheKeySourceWithoutFetching() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("a.gpb").path, second = directory.appendingPathComponent("b.gpb").path
        for path in [first, second] {
            let output = try GatepassProcess.run(["compile", "Tests/Fixtures/remote-keys", "-o", path])
            XCTAssertEqual(output.status, 0, output.stderr)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: first), FileManager.default.contents(atPath: second), "reproducible without --fetch-jwks")
        let output = try GatepassProcess.run(["inspect", first])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "inspect/remote-keys.txt")
    }

    func testDiffReportsAChangedKeySourceAsAKeysChange() throws {
        let arguments = ["diff", "Tests/Fixtures/diff-remote/old", "Tests/Fixtures/diff-remote/new", "--fail-on", "keys"]
        let output = try GatepassProcess.run(arguments)
        XCTAssertEqual(output.status, 1, "a changed URL fails a `--fail-on keys` gate")
        XCTAssertTrue(output.stdout.contains("~ key source jwksUri https://idp.example.com/jwks -> jwksUri https://keys.example.net/jwks"), output.stdout)
        GoldenFile.assertMatches(output.transcript(command: arguments), golden: "diff/remote-keys.txt")
    }

    // MARK: - --fetch-jwks against a loopback server

    /// `python3 -m http.server`'s handler on a free port, quiet, with `/redirect` sending
    /// to plain http. The port is the first line the script prints.
    static let serverScript = """
        import functools, http.server, sys
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:%d/jwks.json" % self.server.server_address[1])
                    self.end_headers()
                    return
                super().do_GET()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    struct Server {
        let process: Process
        let port: Int
        var base: String { "http://127.0.0.1:\(port)" }

        func stop() {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    func startServer(serving directory: URL) throws -> Server {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.serverScript, directory.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The port line, waited for at most 10 seconds.
        nonisolated(unsafe) var line = Data()
        let ready = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while let byte = try? out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 10) == .success, let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw XCTSkip("cannot start python3 http.server on loopback")
        }
        return Server(process: process, port: port)
    }

    func entry(_ name: String, issuer: String, source: String) -> String {
        """
        version: 1
        name: \(name)
        issuer: \(issuer)
        \(source)
        allowInsecureJwksUri: true
        algorithms: [EdDSA]
        authorization: {mode: blacklist, rules: [{path: /\(name)/**}]}

        """
    }

    func testFetchJwksEmbedsTheBootstrapSetAndRefusesBadSets() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let site = root.appendingPathComponent("site"), policies = root.appendingPathComponent("policies")
        try FileManager.default.createDirectory(at: site.appendingPathComponent(".well-known"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        let server = try startServer(serving: site)
        defer { server.stop() }
        try Data(Self.publicJWKS.utf8).write(to: site.appendingPathComponent("jwks.json"))
        try Data(Self.poisonedJWKS.utf8).write(to: site.appendingPathComponent("poisoned.json"))
        try Data(#"{"issuer":"\#(server.base)","jwks_uri":"\#(server.base)/jwks.json"}"#.utf8)
            .write(to: site.appendingPathComponent(".well-known/openid-configuration"))
        let bundle = root.appendingPathComponent("policy.gpb").path
        func compile(_ text: String, fetch: Bool = true) throws -> GatepassProcess.Output {
            try Data(text.utf8).write(to: policies.appendingPathComponent("idp.yaml"))
            return try GatepassProcess.run(["compile", policies.path, "-o", bundle] + (fetch ? ["--fetch-jwks"] : []))
        }

        // A JWKS and a discovery document: both sets embedded, with the fetch time.
        let good = entry("direct", issuer: "https://direct.example.com", source: "jwksUri: \(server.base)/jwks.json")
            + "---\n" + entry("discovered", issuer: server.base, source: "discovery: true")
        let compiled = try compile(good)
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        let dump = try GatepassProcess.run(["inspect", bundle]).stdout
        XCTAssertTrue(dump.contains("key source: jwksUri \(server.base)/jwks.json"), dump)
        XCTAssertTrue(dump.contains("key source: discovery \(server.base)/.well-known/openid-configuration"), dump)
        let bootstrap = dump.split(separator: "\n").filter { $0.contains("bootstrap: fetched ") }
        XCTAssertEqual(bootstrap.count, 2, dump)
        XCTAssertTrue(bootstrap.allSatisfy { $0.hasSuffix("thumbprints pbnhGdkimhKLlOGk8ih_Hl1GSczp_G37JMMkzNFr0Rg") }, dump)
        XCTAssertTrue(dump.contains("kid=idp-1"), dump)
        // Without the flag: the URLs only.
        XCTAssertEqual(try compile(good, fetch: false).status, 0)
        let unfetched = try GatepassProcess.run(["inspect", bundle]).stdout
        XCTAssertFalse(unfetched.contains("bootstrap: fetched"), unfetched)
        XCTAssertTrue(unfetched.contains("keys (0)"), unfetched)

        // A discovery document for another issuer is refused, at the `discovery` value.
        let otherIssuer = entry("discovered", issuer: server.base + "/", source: "discovery: true")
        let mismatch = try compile(otherIssuer)
        XCTAssertEqual(mismatch.status, 1, mismatch.stderr)
        XCTAssertTrue(mismatch.stderr.contains("idp.yaml:4:12: error[GP316]: the discovery document `\(server.base)/.well-known/openid-configuration` is for the issuer `\(server.base)`, not this entry's `\(server.base)/`"), mismatch.stderr)

        // A set with a private key member is refused, located at the URL.
        let poisoned = try compile(entry("direct", issuer: "https://direct.example.com", source: "jwksUri: \(server.base)/poisoned.json"))
        XCTAssertEqual(poisoned.status, 1)
        XCTAssertTrue(poisoned.stderr.contains("idp.yaml:4:10: error[GP308]: `\(server.base)/poisoned.json`: key 0: contains private key member `d`"), poisoned.stderr)

        // A missing document and a redirect to plain http.
        let missing = try compile(entry("direct", issuer: "https://direct.example.com", source: "jwksUri: \(server.base)/missing.json"))
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("error[GP316]: cannot fetch the JWKS `\(server.base)/missing.json`: HTTP status 404"), missing.stderr)
        let redirected = try compile(entry("direct", issuer: "https://direct.example.com", source: "jwksUri: \(server.base)/redirect"))
        XCTAssertEqual(redirected.status, 1)
        XCTAssertTrue(redirected.stderr.contains("only a redirect to https on the same host is followed"), redirected.stderr)
    }

    func testTheFetchHelperRefusesOversizedBodies() throws {
        let site = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: site) }
        try Data(repeating: UInt8(ascii: "x"), count: 600 * 1024).write(to: site.appendingPathComponent("big.json"))
        let server = try startServer(serving: site)
        defer { server.stop() }
        let helper = GatepassProcess.binary.deletingLastPathComponent().appendingPathComponent("gatepass-publish")
        let process = Process()
        process.executableURL = helper
        process.arguments = ["fetch", "\(server.base)/big.json", "--max-bytes", "524288", "--timeout", "5"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2)
        XCTAssertTrue(message.contains("over the bound of 524288"), message)
    }
}

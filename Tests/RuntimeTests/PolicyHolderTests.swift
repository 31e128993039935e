import BundleFormat
import Compiler
import Diagnostics
import Runtime
import XCTest

/// Hot reload: atomic swaps, the last good bundle kept on a failing reload, the revision.
final class PolicyHolderTests: XCTestCase {
    func bundle(revision: String, blacklistPath: String = "/v1/**") throws -> [UInt8] {
        let text = """
        version: 1
        name: api
        issuer: https://issuer.example.com
        jwks: { keys: [ { kty: oct, kid: k1, alg: HS256, kEnv: HOLDER_TEST_SECRET } ] }
        authorization: { mode: blacklist, rules: [ { domain: api.example.com, path: \(blacklistPath) } ] }
        """
        let outcome = Pipeline().compile(files: [SourceFile(path: "holder.yaml", text: text)], revision: revision)
        return try XCTUnwrap(outcome.bundle)
    }

    let secret: @Sendable (String) -> String? = { $0 == "HOLDER_TEST_SECRET" ? "c2VjcmV0LXRoYXQtaXMtYXQtbGVhc3QtMzItYnl0ZXMtbG9uZyE" : nil }

    func testReloadSwapsAndReportsTheRevision() throws {
        let holder = PolicyHolder(loader: PolicyLoader(environment: secret))
        XCTAssertNil(holder.current)
        XCTAssertNil(holder.decide(HTTPRequest(host: "api.example.com", target: "/v1/x"), now: 0), "no policy: the caller must deny")
        guard case .loaded(let first) = holder.reload(bytes: try bundle(revision: "r1")) else { return XCTFail("r1 did not load") }
        XCTAssertEqual(first, "r1")
        XCTAssertEqual(holder.revision, "r1")
        XCTAssertEqual(holder.decide(HTTPRequest(host: "api.example.com", target: "/v1/x"), now: 0)?.reason, .tokenMissing)
        guard case .loaded = holder.reload(bytes: try bundle(revision: "r2", blacklistPath: "/v2/**")) else { return XCTFail("r2 did not load") }
        XCTAssertEqual(holder.revision, "r2")
        XCTAssertEqual(holder.decide(HTTPRequest(host: "api.example.com", target: "/v1/x"), now: 0)?.reason, .noAuthRequired)
    }

    func testAFailingReloadKeepsTheLastGoodPolicy() throws {
        let holder = PolicyHolder(loader: PolicyLoader(environment: secret))
        holder.reload(bytes: try bundle(revision: "good"))
        var corrupted = try bundle(revision: "bad")
        corrupted[corrupted.count / 2] ^= 0xFF
        guard case .keptPrevious(let revision, let error) = holder.reload(bytes: corrupted) else { return XCTFail("a corrupted bundle loaded") }
        XCTAssertEqual(revision, "good")
        XCTAssertTrue(error.description.contains("digest"), error.description)
        XCTAssertEqual(holder.revision, "good")
        XCTAssertNotNil(holder.lastError)
        // A missing environment secret is a failing reload too.
        let noSecret = PolicyHolder(loader: PolicyLoader(environment: { _ in nil }))
        guard case .keptPrevious(nil, let missing) = noSecret.reload(bytes: try bundle(revision: "x")) else { return XCTFail("loaded without its secret") }
        XCTAssertTrue(missing.description.contains("HOLDER_TEST_SECRET"), missing.description)
        XCTAssertNil(noSecret.current)
        // An unreadable file is reported, not thrown.
        guard case .keptPrevious = holder.reload(path: "/no/such/bundle.gpb") else { return XCTFail("read a missing file") }
        XCTAssertEqual(holder.revision, "good")
        // A later good reload clears the error.
        holder.reload(bytes: try bundle(revision: "fixed"))
        XCTAssertNil(holder.lastError)
    }

    func testUnsignedBundlesAreRefusedWhenKeysAreTrusted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sh", "-c", "openssl genpkey -algorithm ed25519 -out k.pem && openssl pkey -in k.pem -pubout -out k.pub"]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        let trusted = try BundleTrustedKey(pem: [UInt8](try Data(contentsOf: directory.appendingPathComponent("k.pub"))))
        let holder = PolicyHolder(loader: PolicyLoader(trustedKeys: [trusted], environment: secret))
        guard case .keptPrevious(_, let error) = holder.reload(bytes: try bundle(revision: "unsigned")) else { return XCTFail("fail open") }
        XCTAssertTrue(error.description.contains("not signed"), error.description)
    }

    func testConcurrentReadersDuringReloads() throws {
        let holder = PolicyHolder(loader: PolicyLoader(environment: secret))
        let bundles = [try bundle(revision: "a"), try bundle(revision: "b")]
        holder.reload(bytes: bundles[0])
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            if index % 10 == 0 {
                holder.reload(bytes: bundles[index % 20 == 0 ? 0 : 1])
            } else {
                let revision = holder.current?.revision
                XCTAssertTrue(revision == "a" || revision == "b")
            }
        }
    }
}

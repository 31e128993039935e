import BundleFormat
@testable import DecisionService
import Foundation
import Logging
import Runtime
import XCTest

/// Bundle activation from a file source: changes activate, failures keep the last good
/// bundle (counted by class), the Kubernetes symlink swap is seen, the cache serves when
/// the source cannot, and signing is enforced on every reload.
final class BundleReloadTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
        directory = nil
    }

    /// The fixture's program under another revision.
    func bundle(_ fixture: ServiceFixture, revision: String, signingKey: BundleSigningKey? = nil) -> [UInt8] {
        var program = fixture.program
        program.manifest.revision = revision
        return BundleWriter().write(program, signingKey: signingKey)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name), options: .atomic)
    }

    func reloader(_ source: any BundleSource, core: DecisionCore, cache: BundleCache? = nil) -> BundleReloader {
        BundleReloader(source: source, core: core, cache: cache, schedule: .file, logger: Logger(label: "test"))
    }

    func emptyCore(trusting keys: [BundleTrustedKey] = []) -> DecisionCore {
        DecisionCore(holder: PolicyHolder(loader: PolicyLoader(trustedKeys: keys, environment: { _ in nil })),
                     logger: Logger(label: "test"), clock: { ServiceFixture.now })
    }

    func testChangesActivateAndFailuresKeepTheLastGoodBundle() async throws {
        let fixture = try ServiceFixture()
        try write(bundle(fixture, revision: "rev-1"), to: "bundle.gpb")
        let core = emptyCore()
        let reloader = reloader(FileBundleSource(path: path("bundle.gpb")), core: core)
        let started = await reloader.start()
        XCTAssertEqual(started, .activated(revision: "rev-1"))

        // Unchanged: nothing happens, nothing is counted.
        guard case .success(nil) = await reloader.poll(force: false) else { return XCTFail("an unchanged file must not reactivate") }

        try write(bundle(fixture, revision: "rev-2"), to: "bundle.gpb")
        guard case .success("rev-2") = await reloader.poll(force: false) else { return XCTFail("a changed file must activate") }
        XCTAssertEqual(core.revision, "rev-2")

        // Corrupt: one flipped byte fails the digest; rev-2 keeps serving.
        var corrupt = bundle(fixture, revision: "rev-3")
        corrupt[corrupt.count / 2] ^= 0x01
        try write(corrupt, to: "bundle.gpb")
        guard case .failure = await reloader.poll(force: false) else { return XCTFail("a corrupt bundle must not activate") }
        XCTAssertEqual(core.revision, "rev-2")
        // Truncated, then not a bundle at all, then missing.
        try write(Array(bundle(fixture, revision: "rev-4").prefix(40)), to: "bundle.gpb")
        guard case .failure = await reloader.poll(force: false) else { return XCTFail("a truncated bundle must not activate") }
        try write(Array("not a bundle".utf8), to: "bundle.gpb")
        guard case .failure = await reloader.poll(force: false) else { return XCTFail("garbage must not activate") }
        try FileManager.default.removeItem(atPath: path("bundle.gpb"))
        guard case .failure = await reloader.poll(force: false) else { return XCTFail("a missing file must not deactivate") }
        XCTAssertEqual(core.revision, "rev-2")

        let metrics = core.metrics.render()
        XCTAssertTrue(metrics.contains(#"gatepass_bundle_activations_total{result="ok"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"gatepass_bundle_activations_total{result="error"} 4"#), metrics)
        XCTAssertTrue(metrics.contains(#"gatepass_bundle_info{revision="rev-2"} 1"#), metrics)
        XCTAssertFalse(metrics.contains(#"revision="rev-1""#), "the info metric names only the revision in use")
        XCTAssertTrue(metrics.contains(#"gatepass_bundle_last_failure_reason{reason="fetch"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"gatepass_bundle_last_failure_reason{reason="digest"} 0"#), metrics)
    }

    func testTheKubernetesSymlinkSwapIsSeen() async throws {
        // A ConfigMap volume: bundle.gpb -> ..data/bundle.gpb, ..data -> ..v1; an update
        // writes ..v2 and renames a new ..data symlink over the old one.
        let fixture = try ServiceFixture()
        let manager = FileManager.default
        for (version, revision) in [("..v1", "rev-1"), ("..v2", "rev-2")] {
            try manager.createDirectory(atPath: path(version), withIntermediateDirectories: true)
            try write(bundle(fixture, revision: revision), to: "\(version)/bundle.gpb")
        }
        try manager.createSymbolicLink(atPath: path("..data"), withDestinationPath: "..v1")
        try manager.createSymbolicLink(atPath: path("bundle.gpb"), withDestinationPath: "..data/bundle.gpb")
        let core = emptyCore()
        let reloader = reloader(FileBundleSource(path: path("bundle.gpb")), core: core)
        let started = await reloader.start()
        XCTAssertEqual(started, .activated(revision: "rev-1"))

        try manager.createSymbolicLink(atPath: path("..data_tmp"), withDestinationPath: "..v2")
        XCTAssertEqual(rename(path("..data_tmp"), path("..data")), 0)
        guard case .success("rev-2") = await reloader.poll(force: false) else { return XCTFail("the swap must activate ..v2") }
    }

    func testAForcedReloadReactivatesTheSameBytes() async throws {
        let fixture = try ServiceFixture()
        try write(bundle(fixture, revision: "rev-1"), to: "bundle.gpb")
        let core = emptyCore()
        let reloader = reloader(FileBundleSource(path: path("bundle.gpb")), core: core)
        _ = await reloader.start()
        guard case .success("rev-1") = await reloader.poll(force: true) else { return XCTFail("SIGHUP reloads even unchanged bytes") }
        XCTAssertTrue(core.metrics.render().contains(#"gatepass_bundle_activations_total{result="ok"} 2"#))
    }

    func testSigningIsEnforcedOnEveryReload() async throws {
        let fixture = try ServiceFixture()
        let good = try makeSigningKey("good"), other = try makeSigningKey("other")
        let trusted = try BundleTrustedKey(pem: Array(good.publicKeyPEM.utf8))
        try write(bundle(fixture, revision: "rev-1", signingKey: good), to: "bundle.gpb")
        let core = emptyCore(trusting: [trusted])
        let reloader = reloader(FileBundleSource(path: path("bundle.gpb")), core: core)
        let started = await reloader.start()
        XCTAssertEqual(started, .activated(revision: "rev-1"))

        try write(bundle(fixture, revision: "rev-unsigned"), to: "bundle.gpb")
        guard case .failure(let unsigned) = await reloader.poll(force: false) else { return XCTFail("unsigned must not activate") }
        XCTAssertTrue(unsigned.text.contains("not signed"), unsigned.text)
        XCTAssertTrue(core.metrics.render().contains(#"gatepass_bundle_last_failure_reason{reason="signature"} 1"#))

        try write(bundle(fixture, revision: "rev-other", signingKey: other), to: "bundle.gpb")
        guard case .failure(let untrusted) = await reloader.poll(force: false) else { return XCTFail("an unknown signer must not activate") }
        XCTAssertTrue(untrusted.text.contains("untrusted"), untrusted.text)
        XCTAssertEqual(core.revision, "rev-1")

        try write(bundle(fixture, revision: "rev-2", signingKey: good), to: "bundle.gpb")
        guard case .success("rev-2") = await reloader.poll(force: false) else { return XCTFail("a well-signed bundle activates") }
    }

    func testTheCacheServesWhenTheSourceCannotAndIsVerifiedAgain() async throws {
        let fixture = try ServiceFixture()
        let cache = try BundleCache(directory: path("cache"))
        try write(bundle(fixture, revision: "rev-1"), to: "bundle.gpb")
        let first = reloader(FileBundleSource(path: path("bundle.gpb")), core: emptyCore(), cache: cache)
        let started = await first.start()
        XCTAssertEqual(started, .activated(revision: "rev-1"))
        XCTAssertEqual(cache.load(), bundle(fixture, revision: "rev-1"), "the activated bundle is cached")

        // A restart while the source is gone: the cache serves.
        let restarted = reloader(FileBundleSource(path: path("missing.gpb")), core: emptyCore(), cache: cache)
        guard case .fromCache(let revision, _) = await restarted.start() else { return XCTFail("the cache must serve") }
        XCTAssertEqual(revision, "rev-1")

        // A tampered cache is not trusted blindly.
        var tampered = try XCTUnwrap(cache.load())
        tampered[tampered.count - 3] ^= 0x10
        try Data(tampered).write(to: URL(fileURLWithPath: cache.path))
        let core = emptyCore()
        guard case .failed = await reloader(FileBundleSource(path: path("missing.gpb")), core: core, cache: cache).start() else {
            return XCTFail("a corrupt cache must not activate")
        }
        XCTAssertNil(core.revision)
        XCTAssertFalse(core.isReady)
    }

    func testTheServiceCheckRefusesABundleTheListenerCannotServe() async throws {
        let fixture = try ServiceFixture()
        try write(bundle(fixture, revision: "rev-1"), to: "bundle.gpb")
        let core = emptyCore()
        let reloader = BundleReloader(source: FileBundleSource(path: path("bundle.gpb")), core: core, schedule: .file,
                                      logger: Logger(label: "test")) { ExtAuthzHTTP.refusal(for: $0.program) }
        guard case .failed(let reason, let serviceRefusal) = await reloader.start() else { return XCTFail("a query token with passthrough off must be refused") }
        XCTAssertTrue(reason.contains("query parameter `access_token`"), reason)
        XCTAssertTrue(serviceRefusal, "told apart from a bad source by a flag, not by the text")
        XCTAssertNil(core.revision)
    }

    func testBackoffAndJitterStayWithinTheSchedule() {
        let reloader = BundleReloader(source: FileBundleSource(path: "/nonexistent"), core: emptyCore(),
                                      schedule: .init(minimum: .seconds(30), maximum: .seconds(60)), logger: Logger(label: "test"))
        for _ in 0..<200 {
            let delay = reloader.nextDelay(afterFailures: 0)
            XCTAssertGreaterThanOrEqual(delay, .seconds(30))
            XCTAssertLessThanOrEqual(delay, .seconds(60))
        }
        XCTAssertEqual(reloader.nextDelay(afterFailures: 1), .seconds(1))
        XCTAssertEqual(reloader.nextDelay(afterFailures: 3), .seconds(4))
        XCTAssertEqual(reloader.nextDelay(afterFailures: 30), .seconds(60), "backoff is capped at the maximum")
    }

    func makeSigningKey(_ name: String) throws -> BundleSigningKey {
        let file = path("\(name).pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "genpkey", "-algorithm", "ed25519", "-out", file]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return try BundleSigningKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
    }
}

import Foundation
import XCTest

/// `gatepass inspect` of the example policy set is pinned in `Golden/inspect/`, and
/// compiling is byte-for-byte reproducible.
final class InspectGoldenTests: XCTestCase {
    func compile(_ arguments: [String], to name: String) throws -> Data {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-\(UUID().uuidString)-\(name)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try GatepassProcess.run(["compile"] + arguments + ["-o", path])
        XCTAssertEqual(output.status, 0, output.stderr)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func testInspectOfTheExamplePoliciesMatchesTheGoldenDump() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-inspect-\(UUID().uuidString).gpb").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try GatepassProcess.run(["compile", "Policies", "-o", path]).status, 0)
        let output = try GatepassProcess.run(["inspect", path])
        XCTAssertEqual(output.status, 0, output.stderr)
        GoldenFile.assertMatches(output.stdout, golden: "inspect/policies.txt")
    }

    /// The other policy sets the repository ships as examples: both sides of the diff fixture.
    func testInspectOfTheDiffExampleSetsMatchesTheGoldenDumps() throws {
        for (set, golden) in [("Tests/Fixtures/diff/old", "inspect/diff-old.txt"), ("Tests/Fixtures/diff/new", "inspect/diff-new.txt"),
                              ("Tests/Fixtures/diff-methods/new", "inspect/methods.txt")] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-inspect-\(UUID().uuidString).gpb").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let compiled = try GatepassProcess.run(["compile", set, "-o", path])
            XCTAssertEqual(compiled.status, 0, compiled.stderr)
            let output = try GatepassProcess.run(["inspect", path])
            XCTAssertEqual(output.status, 0, output.stderr)
            GoldenFile.assertMatches(output.stdout, golden: golden)
        }
    }

    func testCompilingTwiceAndInAnyFileOrderGivesTheSameBytes() throws {
        let first = try compile(["Policies"], to: "a")
        let second = try compile(["Policies"], to: "b")
        XCTAssertEqual(first, second)
        let files = ["Policies/partner-api.yaml", "Policies/mobile.yaml", "Policies/internal-ai.yaml", "Policies/billing-webhooks.yaml"]
        XCTAssertEqual(try compile(files, to: "c"), first)
        XCTAssertEqual(try compile(files.reversed(), to: "d"), first)
        XCTAssertEqual(try compile(["./Policies/"], to: "e"), first, "the same files named differently")
    }

    func testRevisionCanBeSet() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-rev-\(UUID().uuidString).gpb").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try GatepassProcess.run(["compile", "Policies", "-o", path, "--revision", "release-42"])
        XCTAssertTrue(output.stdout.contains("revision release-42"), output.stdout)
        XCTAssertTrue(try GatepassProcess.run(["inspect", path]).stdout.contains("revision: release-42"))
    }

    func testNothingIsWrittenWhenThereAreErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-none-\(UUID().uuidString).gpb").path
        let output = try GatepassProcess.run(["compile", "Tests/Fixtures/invalid/unknown-keys.yaml", "-o", path])
        XCTAssertEqual(output.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testSignedBundlesAndTrustedKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
        }
        try openssl(["genpkey", "-algorithm", "ed25519", "-out", "signer.pem"])
        try openssl(["pkey", "-in", "signer.pem", "-pubout", "-out", "signer.pub.pem"])
        try openssl(["genpkey", "-algorithm", "ed25519", "-out", "other.pem"])
        try openssl(["pkey", "-in", "other.pem", "-pubout", "-out", "other.pub.pem"])
        let signed = directory.appendingPathComponent("signed.gpb").path
        let unsigned = directory.appendingPathComponent("unsigned.gpb").path
        XCTAssertEqual(try GatepassProcess.run(["compile", "Policies", "-o", signed, "--sign-key", directory.appendingPathComponent("signer.pem").path]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["compile", "Policies", "-o", unsigned]).status, 0)
        let trusted = directory.appendingPathComponent("signer.pub.pem").path
        let other = directory.appendingPathComponent("other.pub.pem").path
        XCTAssertEqual(try GatepassProcess.run(["inspect", signed, "--trusted-key", trusted]).status, 0)
        let unsignedOutput = try GatepassProcess.run(["inspect", unsigned, "--trusted-key", trusted])
        XCTAssertEqual(unsignedOutput.status, 2, "fail closed: unsigned bundles are refused when keys are trusted")
        XCTAssertTrue(unsignedOutput.stderr.contains("not signed"), unsignedOutput.stderr)
        let otherOutput = try GatepassProcess.run(["inspect", signed, "--trusted-key", other])
        XCTAssertEqual(otherOutput.status, 2)
        XCTAssertTrue(otherOutput.stderr.contains("untrusted"), otherOutput.stderr)
    }
}

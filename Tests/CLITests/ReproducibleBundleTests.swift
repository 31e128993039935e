import Foundation
import XCTest

/// The same policy tree gives the same bundle bytes wherever it lives and from wherever
/// `gatepass compile` runs: the bundle names files relative to the policy root.
final class ReproducibleBundleTests: XCTestCase {
    func testTheSameTreeCompilesToTheSameBytesFromAnywhere() throws {
        let repository = GoldenFile.repositoryRoot
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-repro-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let copy = scratch.appendingPathComponent("elsewhere/deeper/Policies")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Policies"), to: copy)
        let output = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)

        // (arguments, working directory): relative, absolute, from the policy folder itself,
        // from a subdirectory, a copy in another folder, and file arguments.
        let policies = repository.appendingPathComponent("Policies")
        let yamlFiles = ["billing-webhooks.yaml", "internal-ai.yaml", "mobile.yaml", "partner-api.yaml"]
        let runs: [([String], URL)] = [
            (["Policies"], repository),
            (["./Policies/"], repository),
            ([policies.path], scratch),
            (["."], policies),
            (["../../Policies"], policies.appendingPathComponent("keys")),
            ([copy.path], repository),
            (["deeper/Policies"], copy.deletingLastPathComponent().deletingLastPathComponent()),
            (yamlFiles.map { "Policies/" + $0 }, repository),
            (yamlFiles.reversed().map { copy.appendingPathComponent($0).path }, scratch),
        ]
        var bundles: [Data] = []
        for (index, (arguments, directory)) in runs.enumerated() {
            let bundle = output.appendingPathComponent("\(index).gpb")
            let result = try GatepassProcess.run(["compile"] + arguments + ["-o", bundle.path], in: directory)
            XCTAssertEqual(result.status, 0, "\(arguments) in \(directory.path): \(result.stderr)")
            bundles.append(try Data(contentsOf: bundle))
        }
        for (index, bundle) in bundles.enumerated() {
            XCTAssertEqual(bundle, bundles[0], "run \(index): \(runs[index].0) in \(runs[index].1.path)")
        }
        let dump = try GatepassProcess.run(["inspect", output.appendingPathComponent("0.gpb").path])
        XCTAssertTrue(dump.stdout.contains("    partner-api.yaml  sha256:"), dump.stdout)
        XCTAssertFalse(dump.stdout.contains(scratch.path) || dump.stdout.contains(repository.path), "no absolute path in the bundle")
    }

    /// Diagnostics still name files as the user gave them.
    func testDiagnosticsKeepTheUsersSpelling() throws {
        let result = try GatepassProcess.run(["check", "Tests/Fixtures/invalid/unknown-keys.yaml"])
        XCTAssertTrue((result.stdout + result.stderr).contains("Tests/Fixtures/invalid/unknown-keys.yaml:"),
                      result.stdout + result.stderr)
    }

    /// `-o` onto something that is not a regular file writes into it: a FIFO (as `/dev/null`
    /// or `/dev/stdout` would be) stays a FIFO and gets the bytes, and a symbolic link
    /// stays a link whose target gets the bundle. An atomic rename over either would
    /// replace it (running as root, `-o /dev/null` used to turn /dev/null into a file).
    func testOutputOntoAFIFOOrASymlinkWritesThroughIt() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        nonisolated(unsafe) var received = Data()
        let reader = Thread {
            received = (try? FileHandle(forReadingFrom: fifo).readToEnd()) ?? Data()
        }
        reader.start()
        let result = try GatepassProcess.run(["compile", "Policies", "-o", fifo.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let deadline = Date().addingTimeInterval(10)
        while reader.isExecuting && Date() < deadline { usleep(10_000) }
        var info = stat()
        XCTAssertEqual(lstat(fifo.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "still a FIFO")
        XCTAssertEqual(Array(received.prefix(4)), [0x89, 0x47, 0x50, 0x42], "the bundle went through the FIFO")

        let target = scratch.appendingPathComponent("real.gpb")
        let link = scratch.appendingPathComponent("current.gpb")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        XCTAssertEqual(try GatepassProcess.run(["compile", "Policies", "-o", link.path]).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), target.path, "the link is kept")
        XCTAssertEqual(Array(try Data(contentsOf: target).prefix(4)), [0x89, 0x47, 0x50, 0x42])
    }
}

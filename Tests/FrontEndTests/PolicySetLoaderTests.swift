import Diagnostics
import Foundation
import FrontEnd
import TestSupport
import XCTest

/// The only file-system part of the front end: walking directories and reading files.
final class PolicySetLoaderTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func testDirectoriesAreWalkedRecursivelyInSortedOrderSkippingHiddenAndTestFiles() throws {
        try write("b.yaml", entryYAML(name: "b"))
        try write("a.yml", entryYAML(name: "a"))
        try write("a/z.yaml", entryYAML(name: "az"))
        try write("a/deeper/c.yaml", entryYAML(name: "adc"))
        try write("checks.test.yaml", "not: a policy\n")
        try write("checks.test.yml", "not: a policy\n")
        try write(".hidden.yaml", "not: a policy\n")
        try write(".git/config.yaml", "not: a policy\n")
        try write("notes.txt", "not yaml")
        let result = PolicySetLoader().load(paths: [root])
        XCTAssertNoDiagnostics(result.diagnostics.diagnostics)
        XCTAssertFalse(result.hadIOFailure)
        XCTAssertEqual(result.policySet.files.map { String($0.path.dropFirst(root.count + 1)) },
                       ["a.yml", "a/deeper/c.yaml", "a/z.yaml", "b.yaml"])
        XCTAssertEqual(result.policySet.entries.map(\.name.value), ["a", "adc", "az", "b"])
    }

    func testFilesNamedExplicitlyAreReadOnceAndSorted() throws {
        try write("z.yaml", entryYAML(name: "z"))
        try write("m.yaml", entryYAML(name: "m"))
        let result = PolicySetLoader().load(paths: [root + "/z.yaml", root + "/m.yaml", root + "/"])
        XCTAssertNoDiagnostics(result.diagnostics.diagnostics)
        XCTAssertEqual(result.policySet.entries.map(\.name.value), ["m", "z"])
    }

    func testMissingPathAndEmptyDirectory() throws {
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        let result = PolicySetLoader().load(paths: [root + "/missing.yaml", root + "/empty"])
        XCTAssertEqual(result.diagnostics.sorted.map(\.code), [.fileUnreadable, .noPolicyFiles])
        XCTAssertEqual(result.diagnostics.warningCount, 1)
        XCTAssertTrue(result.hadIOFailure)
    }

    func testFileSizeBound() throws {
        XCTAssertEqual(PolicySetLoader.defaultMaxFileSize, 1 << 20)
        try write("exact.yaml", "#" + String(repeating: "x", count: (1 << 20) - 2) + "\n")
        try write("over.yaml", "#" + String(repeating: "x", count: 1 << 20) + "\n")
        let result = PolicySetLoader().load(paths: [root])
        XCTAssertEqual(result.diagnostics.diagnostics.map(\.code), [.fileTooLarge])
        XCTAssertEqual(result.diagnostics.diagnostics.first?.span?.file.path, root + "/over.yaml")
        XCTAssertEqual(result.policySet.files.map(\.path), [root + "/exact.yaml"])
        let small = PolicySetLoader(maxFileSize: 10).load(paths: [root + "/exact.yaml"])
        XCTAssertEqual(small.diagnostics.diagnostics.map(\.code), [.fileTooLarge])
    }

    func testJWKSFileIsResolvedRelativeToThePolicyFile() throws {
        let jwks = "{\"keys\": []}"
        try write("teams/mobile/keys/mobile.json", jwks)
        try write("shared/partner.json", jwks)
        try write("teams/mobile/policy.yaml",
                  entryYAML(name: "m").replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: keys/mobile.json") + "---\n"
                  + entryYAML(name: "p").replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: ../../shared/partner.json") + "---\n"
                  + entryYAML(name: "abs").replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: \(root)/shared/partner.json") + "---\n"
                  + entryYAML(name: "again").replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: keys/mobile.json"))
        let result = PolicySetLoader().load(paths: [root])
        XCTAssertNoDiagnostics(result.diagnostics.diagnostics)
        let paths = result.policySet.entries.map { entry -> String in
            guard case .file(_, let file) = entry.jwks else { return "not a file" }
            return file.path
        }
        XCTAssertEqual(paths, [
            root + "/teams/mobile/keys/mobile.json",
            root + "/teams/mobile/../../shared/partner.json",
            root + "/shared/partner.json",
            root + "/teams/mobile/keys/mobile.json",
        ])
        XCTAssertEqual(result.policySet.keyFiles.count, 3, "each key file is loaded once")
        XCTAssertEqual(result.policySet.keyFiles.first?.bytes, Array(jwks.utf8))
    }

    func testUnreadableJWKSFileIsLocatedAtItsValue() throws {
        try FileManager.default.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        let missing = MarkedSource(entryYAML().replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: ⟨keys/none.json⟩"),
                                   path: root + "/a.yaml")
        let directory = MarkedSource(entryYAML(name: "b").replacingOccurrences(of: "jwks: {keys: []}", with: "jwksFile: ⟨keys⟩"),
                                     path: root + "/b.yaml")
        let (set, bag) = PolicySetLoader().decode(files: [missing.file, directory.file])
        XCTAssertDiagnostics(bag.diagnostics, [
            Expected(.jwksFileUnreadable, at: missing.span, message: "no such file", hint: "relative to this policy file"),
            Expected(.jwksFileUnreadable, at: directory.span, message: "is a directory"),
        ])
        XCTAssertTrue(set.entries.isEmpty)
    }

    func testPolicyFileNames() {
        XCTAssertTrue(PolicySetLoader.isPolicyFileName("a.yaml"))
        XCTAssertTrue(PolicySetLoader.isPolicyFileName("a.yml"))
        XCTAssertFalse(PolicySetLoader.isPolicyFileName("a.test.yaml"))
        XCTAssertFalse(PolicySetLoader.isPolicyFileName("a.test.yml"))
        XCTAssertFalse(PolicySetLoader.isPolicyFileName("a.json"))
    }
}

import BundleFormat
import Compiler
import Foundation
import TestSupport
import XCTest

/// Same sources, same bytes: whatever the argument order, the order files were created
/// in, or how often the compiler runs. The revision is the content hash unless given.
final class DeterminismTests: XCTestCase {
    static let policies = repositoryRoot.appendingPathComponent("Policies")
    static let policyFiles = ["billing-webhooks.yaml", "internal-ai.yaml", "mobile.yaml", "partner-api.yaml", "keys/mobile.json"]

    func testCompilingTwiceGivesIdenticalBytes() throws {
        let first = try compile([Self.policies.path])
        let second = try compile([Self.policies.path])
        XCTAssertEqual(first.bundle, second.bundle)
        XCTAssertEqual(try BundleReader().read(first.bundle), first.program)
    }

    func testArgumentOrderAndFileCreationOrderDoNotMatter() throws {
        let workspace = try PolicyWorkspace()
        let contents = try Self.policyFiles.map { try String(contentsOf: Self.policies.appendingPathComponent($0), encoding: .utf8) }
        var random = SplitMix64(seed: 0xDE7E_0001)
        var bundles: [[UInt8]] = []
        for round in 0..<4 {
            for file in Self.policyFiles where FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent(file).path) {
                try workspace.remove(file)
            }
            let creationOrder = round % 2 == 0 ? Array(Self.policyFiles.indices) : Self.policyFiles.indices.reversed()
            for index in creationOrder { try workspace.write(Self.policyFiles[index], contents[index]) }
            let yamlPaths = Self.policyFiles.filter { $0.hasSuffix(".yaml") }.map { workspace.root.appendingPathComponent($0).path }
            bundles.append(try compile(yamlPaths.shuffled(using: &random)).bundle)
            bundles.append(try compile([workspace.path]).bundle)
            bundles.append(try compile([workspace.path + "/"] + yamlPaths.shuffled(using: &random)).bundle)
        }
        for (index, bundle) in bundles.enumerated() { XCTAssertEqual(bundle, bundles[0], "compile \(index)") }
    }

    func testEntryOrderInTheSourcesDoesNotChangeTheTries() throws {
        let workspace = try PolicyWorkspace()
        var generator = RandomPolicySets(seed: 0xDE7E_0002)
        let documents = generator.policyFile(setIndex: 1).components(separatedBy: "\n---\n")
        let forwards = try compile([try workspace.write("forwards.yaml", documents.joined(separator: "\n---\n"))]).program
        let backwards = try compile([try workspace.write("backwards.yaml", documents.reversed().joined(separator: "\n---\n"))]).program
        XCTAssertEqual(forwards.entries.map(\.name), backwards.entries.map(\.name))
        XCTAssertEqual(forwards.domainNodes, backwards.domainNodes)
        XCTAssertEqual(forwards.domainClasses, backwards.domainClasses)
        XCTAssertEqual(forwards.pathNodes, backwards.pathNodes)
    }

    func testManifestRecordsEverySourceFileAndItsDigest() throws {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let compiled = try compile([Self.policies.path])
        let manifest = compiled.program.manifest
        XCTAssertEqual(manifest.compilerVersion, Pipeline.compilerVersion)
        // Paths are as the compiler names them (here: as given); each ends in its relative name.
        XCTAssertEqual(manifest.sources.count, Self.policyFiles.count)
        XCTAssertEqual(manifest.sources.map(\.path), manifest.sources.map(\.path).sorted())
        for name in Self.policyFiles {
            guard let source = manifest.sources.first(where: { $0.path.hasSuffix(name) }) else {
                XCTFail("no manifest entry for \(name)")
                continue
            }
            let bytes = try [UInt8](Data(contentsOf: Self.policies.appendingPathComponent(name)))
            XCTAssertEqual(source.sha256, SHA256.hex(bytes), name)
        }
    }

    func testRevisionDefaultsToAStableContentHash() throws {
        let workspace = try PolicyWorkspace()
        let text = try String(contentsOf: Self.policies.appendingPathComponent("partner-api.yaml"), encoding: .utf8)
        let path = try workspace.write("partner-api.yaml", text)
        let original = try compile([path])
        XCTAssertTrue(original.program.manifest.revision.hasPrefix("sha256:"), original.program.manifest.revision)
        XCTAssertEqual(try compile([path]).program.manifest.revision, original.program.manifest.revision)

        try workspace.write("partner-api.yaml", text + "# a comment changes the source digest\n")
        let edited = try compile([path])
        XCTAssertNotEqual(edited.program.manifest.revision, original.program.manifest.revision)
        XCTAssertNotEqual(edited.program.manifest.sources, original.program.manifest.sources)

        try workspace.write("partner-api.yaml", text)
        XCTAssertEqual(try compile([path]).bundle, original.bundle)
    }

    func testRevisionCanBeSet() throws {
        let byDefault = try compile([Self.policies.path])
        let named = try compile([Self.policies.path], revision: "release-2026.11")
        XCTAssertEqual(named.program.manifest.revision, "release-2026.11")
        XCTAssertEqual(try BundleReader().read(named.bundle).manifest.revision, "release-2026.11")
        var expected = byDefault.program
        expected.manifest.revision = "release-2026.11"
        XCTAssertEqual(named.program, expected, "only the revision changes")
        XCTAssertEqual(named.bundle, BundleWriter().write(expected))
    }

    func testSignedCompileVerifiesAndKeepsTheRevision() throws {
        let pem = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/signing-keys/mobile-ed25519.pem")))
        let signer = try BundleSigningKey(pem: pem)
        let signed = try compile([Self.policies.path], signingKey: signer)
        let unsigned = try compile([Self.policies.path])
        let trusted = try BundleTrustedKey(pem: Array(signer.publicKeyPEM.utf8))
        XCTAssertEqual(try BundleReader(trustedKeys: [trusted]).read(signed.bundle), unsigned.program)
        let digestOffset = unsigned.bundle.count - 32
        XCTAssertEqual(signed.bundle.count, unsigned.bundle.count + 104)
        XCTAssertEqual(Array(signed.bundle[10..<12]), [1, 0], "the signed flag")
        XCTAssertTrue(signed.bundle[12..<digestOffset].elementsEqual(unsigned.bundle[12..<digestOffset]),
                      "signing changes nothing but the flag before the digest")
    }
}

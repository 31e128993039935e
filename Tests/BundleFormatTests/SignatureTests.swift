import BundleFormat
import Foundation
import XCTest

/// Ed25519 signatures over the digest: a loader given trusted keys fails closed.
final class SignatureTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-signing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        defer { directory = nil }
        try FileManager.default.removeItem(at: directory)
    }

    /// Runs the openssl CLI in the temporary directory and returns a file it wrote.
    func openssl(_ arguments: [String], output: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " "))")
        return try [UInt8](Data(contentsOf: directory.appendingPathComponent(output)))
    }

    /// A fresh key pair; the public half comes from openssl itself, not from our code.
    func makeKeyPair(_ name: String) throws -> (BundleSigningKey, BundleTrustedKey) {
        let privatePEM = try openssl(["genpkey", "-algorithm", "ed25519", "-out", "\(name).pem"], output: "\(name).pem")
        let publicPEM = try openssl(["pkey", "-in", "\(name).pem", "-pubout", "-out", "\(name).pub.pem"], output: "\(name).pub.pem")
        return (try BundleSigningKey(pem: privatePEM), try BundleTrustedKey(pem: publicPEM))
    }

    func testSignedBundlesAreVerified() throws {
        let (signer, trusted) = try makeKeyPair("a")
        let (_, other) = try makeKeyPair("b")
        let program = SamplePrograms.full()
        let signed = BundleWriter().write(program, signingKey: signer)
        XCTAssertEqual(signed.count, BundleWriter().write(program).count + BundleParts.signatureBlockSize)
        XCTAssertEqual(try BundleReader(trustedKeys: [trusted]).read(signed), program)
        XCTAssertEqual(try BundleReader(trustedKeys: [other, trusted]).read(signed), program)
        XCTAssertEqual(try BundleReader().read(signed), program, "without trusted keys a signed bundle reads")
        XCTAssertEqual(signer.keyID, trusted.keyID)
        XCTAssertEqual(BundleWriter().write(program, signingKey: signer), signed, "Ed25519 signing is deterministic")
        let fromOwnPEM = try BundleTrustedKey(pem: Array(signer.publicKeyPEM.utf8))
        XCTAssertEqual(fromOwnPEM.keyID, trusted.keyID)
    }

    func testLoaderWithTrustedKeysFailsClosed() throws {
        let (signerA, trustedA) = try makeKeyPair("a")
        let (signerB, _) = try makeKeyPair("b")
        let program = SamplePrograms.full()
        XCTAssertEqual(readError(BundleWriter().write(program), trusting: [trustedA]), .unsigned)
        XCTAssertEqual(readError(BundleWriter().write(program, signingKey: signerB), trusting: [trustedA]),
                       .untrustedSigner(hexString(signerB.keyID.prefix(8))))

        let signed = BundleWriter().write(program, signingKey: signerA)
        for index in (signed.count - 64)..<signed.count {
            var flipped = signed
            flipped[index] ^= 0x01
            XCTAssertEqual(readError(flipped, trusting: [trustedA]), .signatureInvalid, "signature byte \(index)")
        }
        var wrongKeyID = signed
        wrongKeyID[signed.count - 80] ^= 0x40
        XCTAssertEqual(readError(wrongKeyID, trusting: [trustedA]), .untrustedSigner(hexString(wrongKeyID[(signed.count - 96)..<(signed.count - 88)])))
        var badMagic = signed
        badMagic[signed.count - 104] = UInt8(ascii: "X")
        XCTAssertNotNil(readError(badMagic, trusting: [trustedA]))
    }

    func testStrippedOrMovedSignaturesFail() throws {
        let (signer, trusted) = try makeKeyPair("a")
        let signed = BundleWriter().write(SamplePrograms.full(), signingKey: signer)
        let stripped = Array(signed.dropLast(BundleParts.signatureBlockSize))
        XCTAssertNotNil(readError(stripped), "flag kept, block stripped")
        XCTAssertNotNil(readError(stripped, trusting: [trusted]))
        XCTAssertNotNil(readError(Array(signed.dropLast(1)), trusting: [trusted]))

        // Cleared flag with the block left behind: still not a valid unsigned bundle.
        var parts = BundleParts(signed)
        parts.flags = 0
        XCTAssertNotNil(readError(parts.framed(), trusting: [trusted]))
        parts.trailer = []
        XCTAssertEqual(readError(parts.framed(), trusting: [trusted]), .unsigned)
    }

    /// An attacker who edits a signed bundle can recompute the digest, not the signature.
    func testContentChangedUnderAValidSignatureFails() throws {
        let (signer, trusted) = try makeKeyPair("a")
        var parts = BundleParts(BundleWriter().write(SamplePrograms.full(), signingKey: signer))
        var strings = parseStringsSection(parts[.strings])
        let issuer = strings.firstIndex(of: Array("https://a.example.com".utf8))!
        strings[issuer] = Array("https://evil.example".utf8)
        parts[.strings] = stringsSection(strings)
        let forged = parts.framed()
        XCTAssertEqual(readError(forged, trusting: [trusted]), .signatureInvalid)
        XCTAssertEqual(try BundleReader().read(forged).entries[0].issuer, "https://evil.example",
                       "the forgery is well formed: only the signature check stops it")
    }

    func testKeysOfTheWrongKindAreRefused() throws {
        let ecPrivate = try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"], output: "ec.pem")
        let ecPublic = try openssl(["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"], output: "ec.pub.pem")
        let edPrivate = try openssl(["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"], output: "ed.pem")
        XCTAssertThrowsError(try BundleSigningKey(pem: ecPrivate))
        XCTAssertThrowsError(try BundleTrustedKey(pem: ecPublic))
        XCTAssertThrowsError(try BundleTrustedKey(pem: edPrivate), "a private key is not a trusted public key")
        XCTAssertThrowsError(try BundleSigningKey(pem: Array("not a key".utf8)))
        XCTAssertThrowsError(try BundleTrustedKey(pem: []))
    }
}

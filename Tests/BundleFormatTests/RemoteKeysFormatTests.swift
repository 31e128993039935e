import BundleFormat
import XCTest

/// Format version 3: an entry's remote key source (`jwksUri` or `discovery`) with its
/// refresh bounds and bootstrap time round-trips; version 2 bundles still read, as
/// entries without remote keys; a hostile key source is refused.
final class RemoteKeysFormatTests: XCTestCase {
    static func program() -> DecisionProgram {
        var program = SamplePrograms.full()
        program.entries[0].remoteKeys = RemoteKeys(
            url: "https://idp.example.com/.well-known/jwks.json", discovery: false, allowInsecure: false,
            refresh: RemoteKeys.Refresh(defaultInterval: 300, minInterval: 1, maxInterval: 7200, maxStale: 3600, cooldown: 5),
            bootstrapFetchedAt: 1_796_211_381)
        program.entries[1].remoteKeys = RemoteKeys(
            url: "http://127.0.0.1:8080/.well-known/openid-configuration", discovery: true, allowInsecure: true)
        program.entries[1].keyIndices = []
        return program
    }

    func testRemoteKeysRoundTrip() throws {
        let program = Self.program()
        let read = try BundleReader().read(BundleWriter().write(program))
        XCTAssertEqual(read.entries.map(\.remoteKeys), program.entries.map(\.remoteKeys))
        XCTAssertEqual(read, program)
        XCTAssertEqual(BundleWriter().write(program), BundleWriter().write(read), "one encoding per program")
    }

    func testTheWriterWritesVersion3() {
        let bytes = BundleWriter().write(SamplePrograms.minimal())
        XCTAssertEqual(BundleParts(bytes).version, 3)
    }

    func testAVersion2BundleReadsWithoutRemoteKeys() throws {
        let program = SamplePrograms.minimalWithEntry()
        var parts = BundleParts(BundleWriter().write(program))
        XCTAssertEqual(parts[.entries].last, 0, "the key source byte of the last entry: keys in the bundle")
        // Version 2 is version 3 without the key source byte after each entry's flags.
        parts[.entries].removeLast()
        parts.version = 2
        let read = try BundleReader().read(parts.framed())
        XCTAssertEqual(read, program)
        XCTAssertNil(read.entries[0].remoteKeys)
    }

    func testAHostileKeySourceIsRefused() {
        let program = Self.program()
        let remote = program.entries[0].remoteKeys!
        func bytes(_ change: (inout RemoteKeys) -> Void, keys: [UInt32]? = nil) -> [UInt8] {
            var changed = program
            change(&changed.entries[0].remoteKeys!)
            if let keys { changed.entries[0].keyIndices = keys }
            return BundleWriter().write(changed)
        }
        assertMalformed(bytes { $0.refresh.minInterval = 0 }, "key refresh intervals out of order or zero")
        assertMalformed(bytes { $0.refresh.minInterval = remote.refresh.defaultInterval + 1 }, "out of order")
        assertMalformed(bytes { $0.refresh.maxInterval = remote.refresh.defaultInterval - 1 }, "out of order")
        assertMalformed(bytes { $0.refresh.cooldown = 0 }, "out of order or zero")
        assertMalformed(bytes { $0.url = "" }, "an empty key URL")
        assertMalformed(bytes({ $0.bootstrapFetchedAt = nil }), "bootstrap keys without a fetch time")

        // A key source byte outside 0...2.
        var parts = BundleParts(BundleWriter().write(SamplePrograms.minimalWithEntry()))
        parts[.entries][parts[.entries].count - 1] = 3
        assertMalformed(parts.framed(), "unknown key source")
    }
}

extension SamplePrograms {
    /// One entry without keys, rules or remote keys: its key source byte ends the section.
    static func minimalWithEntry() -> DecisionProgram {
        var program = minimal()
        program.sourceMap = [SourceLocation(file: "a.yaml", line: 1, column: 1)]
        program.entries = [Entry(name: "a", mode: .blacklist, issuer: "https://a", subject: nil, audiences: [], algorithms: ["RS256"],
                                 clockSkew: 0, requireExpiration: true, maxLifetime: nil, keyIndices: [], tokenLocations: [],
                                 claimChecks: [], forwardedClaims: [], source: 0)]
        return program
    }
}

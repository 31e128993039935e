import BundleFormat
import XCTest

/// Hand-built programs survive write -> read unchanged, and writing is a pure function.
final class RoundTripTests: XCTestCase {
    func testMinimalProgramRoundTrips() throws {
        let program = SamplePrograms.minimal()
        XCTAssertEqual(try BundleReader().read(BundleWriter().write(program)), program)
    }

    func testEveryFieldKindRoundTrips() throws {
        let program = SamplePrograms.full()
        let read = try BundleReader().read(BundleWriter().write(program))
        XCTAssertEqual(read.manifest, program.manifest)
        XCTAssertEqual(read.keys, program.keys)
        XCTAssertEqual(read.entries, program.entries)
        XCTAssertEqual(read.entries[1].claimChecks.map(\.operation), program.entries[1].claimChecks.map(\.operation))
        XCTAssertEqual(read.domainNodes, program.domainNodes)
        XCTAssertEqual(read.pathNodes, program.pathNodes)
        XCTAssertEqual(read, program)
    }

    func testOptionalFieldsRoundTripBothWays() throws {
        var program = SamplePrograms.full()
        program.entries[0].subject = "set"
        program.entries[0].maxLifetime = UInt32.max - 1
        program.entries[1].subject = nil
        program.entries[1].maxLifetime = nil
        program.keys[0].kid = nil
        program.keys[1].kid = "now-set"
        program.keys[1].algorithm = "HS384"
        XCTAssertEqual(try BundleReader().read(BundleWriter().write(program)), program)
    }

    func testEntrySetsSpanningSeveralWordsRoundTrip() throws {
        for count in [63, 64, 65, 130] {
            let program = SamplePrograms.wide(entries: count)
            let read = try BundleReader().read(BundleWriter().write(program))
            XCTAssertEqual(read, program, "\(count) entries")
            XCTAssertEqual(read.pathNodes[0].protecting.members, Array(0..<count))
        }
    }

    func testNumbersKeepTheirExactBits() throws {
        let bounds = [0.1, -0.0, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, -Double.infinity]
        var program = SamplePrograms.full()
        program.entries[1].claimChecks = bounds.map { ClaimCheck(path: ["n"], operation: .atLeast($0), source: 0) }
        let read = try BundleReader().read(BundleWriter().write(program))
        let bits = read.entries[1].claimChecks.map { check -> UInt64 in
            guard case .atLeast(let value) = check.operation else { return 0 }
            return value.bitPattern
        }
        XCTAssertEqual(bits, bounds.map(\.bitPattern))
    }

    func testWritingIsDeterministic() {
        let program = SamplePrograms.full()
        let first = BundleWriter().write(program)
        XCTAssertEqual(BundleWriter().write(program), first)
        XCTAssertEqual(BundleWriter().write(SamplePrograms.full()), first)
    }

    func testRepeatedStringsAreStoredOnce() {
        var program = SamplePrograms.wide(entries: 100)
        for index in program.entries.indices { program.entries[index].issuer = "https://same.example.com/a-long-issuer-name" }
        let strings = parseStringsSection(BundleParts(BundleWriter().write(program))[.strings])
        XCTAssertEqual(strings.filter { $0 == Array("https://same.example.com/a-long-issuer-name".utf8) }.count, 1)
    }

    /// Claim values are compared code point by code point (RFC 7519 §7.3, no Unicode
    /// normalisation), so a bundle must carry each string's exact bytes. The string table
    /// interns by `String` equality, which is canonical equivalence: a decomposed `é`
    /// is stored as the precomposed one written earlier.
    func testcanonicallyEquivalentStringsKeepTheirBytes() throws {
        var program = SamplePrograms.full()
        program.entries[0].issuer = "https://caf\u{E9}.example"
        program.entries[1].subject = "https://cafe\u{301}.example"
        let read = try BundleReader().read(BundleWriter().write(program))
        XCTAssertEqual(Array(read.entries[0].issuer.utf8), Array("https://caf\u{E9}.example".utf8))
        XCTAssertEqual(read.entries[1].subject.map { Array($0.utf8) }, Array("https://cafe\u{301}.example".utf8))
    }

    /// `maxLifetime` uses 0xFFFFFFFF as its "absent" marker, so a program whose bound is
    /// exactly `UInt32.max` seconds is written without complaint and read back with no
    /// bound at all. The writer should refuse the value (or the format carry a flag).
    func testlargestMaxLifetimeIsNotReadBackAsAbsent() throws {
        var program = SamplePrograms.full()
        program.entries[0].maxLifetime = UInt32.max
        XCTAssertEqual(try BundleReader().read(BundleWriter().write(program)).entries[0].maxLifetime, UInt32.max)
    }
}

import BundleFormat
import TestSupport
import XCTest

/// Thousands of seeded random mutations of section bodies, each framed again with a
/// correct digest. Every one must be refused with a `BundleError` or, when the change
/// happens to be harmless, read as a program that is safe to walk, dump and rewrite.
final class MutationFuzzTests: XCTestCase {
    static let iterationsPerSeed = 2_000

    func testMutatedBundlesNeverCrash() {
        let programs = [SamplePrograms.full(), SamplePrograms.minimal(), SamplePrograms.wide(entries: 70)]
        var refused = 0, accepted = 0
        for (seed, program) in programs.enumerated() {
            var random = SplitMix64(seed: 0x6A7E_9A55 &+ UInt64(seed))
            let original = BundleParts(BundleWriter().write(program))
            for iteration in 0..<Self.iterationsPerSeed {
                var parts = original
                for _ in 0..<Int.random(in: 1...4, using: &random) { mutate(&parts, using: &random) }
                let bytes = parts.framed()
                do {
                    let read = try BundleReader().read(bytes)
                    accepted += 1
                    exercise(read, bytes: bytes, context: "seed \(seed), iteration \(iteration)")
                } catch {
                    refused += 1
                }
            }
        }
        // The mutations must mostly reach validation errors, not harmless fields.
        XCTAssertGreaterThan(refused, accepted)
    }

    /// A program the reader accepted must be usable: walking, dumping and rewriting it
    /// may not trap, and it must survive another round trip.
    func exercise(_ program: DecisionProgram, bytes: [UInt8], context: String) {
        for host in [nil, [], ["com"], ["com", "example", "api"], ["com", "example", "www", "deep"]] as [[String]?] {
            for path in [[], ["admin"], ["Admin", "x"], ["b", "c", "d"]] {
                let set = TrieWalk.protecting(program, reversedLabels: host, segments: path)
                XCTAssertTrue(set.members.allSatisfy { $0 < program.entries.count }, context)
            }
        }
        _ = BundleDump.render(program, bundle: bytes)
        XCTAssertEqual(try? BundleReader().read(BundleWriter().write(program)), program, context)
    }

    func mutate(_ parts: inout BundleParts, using random: inout SplitMix64) {
        let section = Int.random(in: 0..<parts.sections.count, using: &random)
        var body = parts.sections[section].body
        let interesting: [UInt32] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF]
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where !body.isEmpty:
            let bit = Int.random(in: 0..<(body.count * 8), using: &random)
            body[bit / 8] ^= 1 << UInt8(bit % 8)
        case 1 where !body.isEmpty:
            body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        case 2 where body.count >= 4:
            let offset = Int.random(in: 0...(body.count - 4), using: &random) & ~3
            writeU32(&body, at: offset, interesting.randomElement(using: &random)!)
        case 3 where body.count >= 4:
            let offset = Int.random(in: 0...(body.count - 4), using: &random)
            writeU32(&body, at: offset, readU32(body, at: offset) &+ UInt32.random(in: 1...3, using: &random))
        case 4 where !body.isEmpty:
            body.removeLast(Int.random(in: 1...min(8, body.count), using: &random))
        default:
            let at = Int.random(in: 0...body.count, using: &random)
            body.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
        }
        parts.sections[section].body = body
    }
}

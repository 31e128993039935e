import BundleFormat
import XCTest

/// Truncated, bit-flipped and hostile bundles are refused with a `BundleError`: never a
/// crash, never an over-allocation. Content changes are framed again with a correct
/// digest (`BundleParts`) so that the semantic validation is what gets tested.
final class HostileInputTests: XCTestCase {
    let bundle = BundleWriter().write(SamplePrograms.full())

    func testNonBundlesAreRecognised() {
        XCTAssertEqual(readError([]), .notABundle)
        XCTAssertEqual(readError(Array("version: 1\nname: x\n".utf8)), .notABundle)
        XCTAssertEqual(readError([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64)), .notABundle)
    }

    func testEveryTruncationFails() {
        for length in 0..<bundle.count {
            XCTAssertNotNil(readError(Array(bundle.prefix(length))), "truncated to \(length) bytes")
        }
    }

    func testAppendedBytesFail() {
        for extra in [[UInt8(0)], [UInt8](repeating: 0xFF, count: 104)] {
            XCTAssertNotNil(readError(bundle + extra), "\(extra.count) extra bytes")
        }
    }

    func testEverySingleBitFlipFails() {
        let parts = BundleParts(bundle)
        let bodyStart = BundleParts.headerSize + parts.sections.count * BundleParts.tableEntrySize
        var flipped = bundle
        for bit in 0..<(bundle.count * 8) {
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            let error = readError(flipped)
            XCTAssertNotNil(error, "bit \(bit) flipped")
            if (bodyStart..<bundle.count).contains(bit / 8) {
                XCTAssertEqual(error, .digestMismatch, "bit \(bit) flipped")
            }
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
        }
    }

    func testUnsupportedVersionAndUnknownFlagsFail() {
        var parts = BundleParts(bundle)
        parts.version = 4
        XCTAssertEqual(readError(parts.framed()), .unsupportedVersion(4))
        parts.version = 1
        XCTAssertEqual(readError(parts.framed()), .unsupportedVersion(1), "version 1 had no method masks: recompile")
        parts = BundleParts(bundle)
        parts.flags = 0x0002
        assertMalformed(parts.framed(), "unknown flag")
    }

    func testSectionTableMustListEverySectionInOrder() {
        var parts = BundleParts(bundle)
        parts.sections.swapAt(1, 2)
        assertMalformed(parts.framed(), "swapped sections")
        parts = BundleParts(bundle)
        parts.sections.removeLast()
        assertMalformed(parts.framed(), "missing section")
        parts = BundleParts(bundle)
        parts.sections.append((10, []))
        assertMalformed(parts.framed(), "extra section")
    }

    func testSectionTableOffsetsAndLengthsAreChecked() {
        for (field, value) in [(4, UInt32.max), (4, 0), (8, UInt32.max), (8, 0x7FFF_FFFF), (8, 1)] {
            for section in 0..<SectionKind.allCases.count {
                var bytes = bundle
                writeU32(&bytes, at: BundleParts.headerSize + section * BundleParts.tableEntrySize + field, value)
                // Keep the digest right, so only the table is wrong.
                let digestAt = BundleParts(bundle).digestOffset
                bytes.replaceSubrange(digestAt..<(digestAt + 32), with: SHA256.digest(bytes[0..<digestAt]))
                XCTAssertNotNil(readError(bytes), "section \(section), field \(field) = \(value)")
            }
        }
        var bytes = bundle
        writeU32(&bytes, at: 12, UInt32.max)
        XCTAssertNotNil(readError(bytes), "section count 0xFFFFFFFF")
    }

    func testHugeCountsFail() {
        // Where the first count of each section is: most start with it.
        let countOffsets: [SectionKind: Int] = [
            .strings: 0, .manifest: 8, .sourceMap: 0, .keys: 0, .entries: 0, .rules: 0,
            .domainTrie: 4, .domainClasses: 0, .pathTrie: 0,
        ]
        for (kind, offset) in countOffsets {
            let original = readU32(BundleParts(bundle)[kind], at: offset)
            for value in [UInt32.max, 0x7FFF_FFFF, 0x1000_0000, original + 1] {
                var parts = BundleParts(bundle)
                writeU32(&parts[kind], at: offset, value)
                assertMalformed(parts.framed(), "\(kind) count \(value)")
            }
        }
    }

    func testStringThatIsNotUTF8Fails() {
        for invalid: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x61, 0x80]] {
            var parts = BundleParts(bundle)
            var strings = parseStringsSection(parts[.strings])
            strings[strings.count / 2] = invalid
            parts[.strings] = stringsSection(strings)
            assertMalformed(parts.framed(), "string bytes \(invalid)")
        }
    }

    func testStringIndexOutOfRangeFails() {
        let stringCount = UInt32(parseStringsSection(BundleParts(bundle)[.strings]).count)
        for value in [stringCount, stringCount + 1, UInt32.max - 1] {
            var parts = BundleParts(bundle)
            writeU32(&parts[.manifest], at: 0, value)
            assertMalformed(parts.framed(), "compiler version string \(value)")
            parts = BundleParts(bundle)
            writeU32(&parts[.domainClasses], at: 8, value)
            assertMalformed(parts.framed(), "class description string \(value)")
        }
    }

    func testTrailingBytesInASectionFail() {
        for kind in SectionKind.allCases {
            var parts = BundleParts(bundle)
            parts[kind] += [0]
            assertMalformed(parts.framed(), "a byte after \(kind)")
        }
    }

    func testOutOfRangeReferencesFail() {
        let breakers: [(String, (inout DecisionProgram) -> Void)] = [
            ("key source", { $0.keys[0].source = 4 }),
            ("entry source", { $0.entries[1].source = 99 }),
            ("key index", { $0.entries[1].keyIndices.append(4) }),
            ("claim source", { $0.entries[1].claimChecks[3].source = UInt32.max - 1 }),
            ("rule entry", { $0.rules[0].entry = 2 }),
            ("rule source", { $0.rules[2].source = 4 }),
            ("missing-host class", { $0.missingHostClass = 3 }),
            ("end class", { $0.domainNodes[3].endClass = 3 }),
            ("fall-off class", { $0.domainNodes[2].fallOffClass = 7 }),
            ("domain edge", { $0.domainNodes[0].edges[0].node = 4 }),
            ("path root", { $0.domainClasses[1].pathRoot = 3 }),
            ("path other", { $0.pathNodes[0].other = 3 }),
            ("exact edge", { $0.pathNodes[1].exact[1].node = 3 }),
            ("folded edge", { $0.pathNodes[1].folded[0].node = UInt32.max }),
            ("matched rule", { $0.pathNodes[2].matchedRules.append(3) }),
            ("no domain root", { $0.domainNodes = [] }),
            ("no classes", { $0.domainClasses = []; $0.domainNodes = [DomainNode(edges: [], endClass: 0, fallOffClass: 0)] }),
            ("no path nodes", { $0.pathNodes = [] }),
        ]
        for (name, breakProgram) in breakers {
            var program = SamplePrograms.full()
            breakProgram(&program)
            assertMalformed(BundleWriter().write(program), name)
        }
    }

    func testUnsortedOrRepeatedEdgesFail() {
        let breakers: [(String, (inout DecisionProgram) -> Void)] = [
            ("domain edges reversed", { $0.domainNodes[2].edges.reverse() }),
            ("domain edge repeated", { $0.domainNodes[2].edges[1].label = "api" }),
            ("exact edges reversed", { $0.pathNodes[1].exact.reverse() }),
            ("exact edge repeated", { $0.pathNodes[1].exact[1].segment = "Admin" }),
            ("folded edges unsorted", { $0.pathNodes[1].folded = [PathEdge(segment: "z", node: 0), PathEdge(segment: "a", node: 0)] }),
        ]
        for (name, breakProgram) in breakers {
            var program = SamplePrograms.full()
            breakProgram(&program)
            assertMalformed(BundleWriter().write(program), name)
        }
    }

    func testEntrySetBitsBeyondTheEntriesFail() {
        var program = SamplePrograms.full()
        program.pathNodes[0].protecting.insert(2)
        assertMalformed(BundleWriter().write(program), "bit 2 of 2 entries")
        program = SamplePrograms.full()
        program.pathNodes[0].protecting = EntrySet(words: [0, 0])
        assertMalformed(BundleWriter().write(program), "a second, empty word for 2 entries")
        program = SamplePrograms.wide(entries: 70)
        program.pathNodes[0].protecting.insert(70)
        assertMalformed(BundleWriter().write(program), "bit 70 of 70 entries")
        program = SamplePrograms.wide(entries: 70)
        program.pathNodes[0].protecting.insert(63 + 64 * 3)
        assertMalformed(BundleWriter().write(program), "a bit in the fourth word of 70 entries")
    }

    /// Finds a one-byte field by writing two programs that differ only there, then puts
    /// a value in it that no writer produces.
    func testUnknownTagsFail() {
        let cases: [(String, (inout DecisionProgram) -> Void, SectionKind, [UInt8])] = [
            ("entry mode", { $0.entries[0].mode = .whitelist }, .entries, [2, 0xFF]),
            ("boolean", { $0.entries[0].requireExpiration = true }, .entries, [2, 0x80]),
            ("token source", { $0.entries[1].tokenLocations[0].source = .query }, .entries, [3, 0xFF]),
            ("passthrough", { $0.entries[1].tokenLocations[0].passthrough = true }, .entries, [2]),
            ("claim operation", { $0.entries[1].claimChecks[15].operation = .absent }, .entries, [10, 0xFF]),
            ("claim type", { $0.entries[1].claimChecks[17].operation = .hasType(.stringArray) }, .entries, [5, 0xFF]),
            ("key material", { $0.keys[1].material = .spki(Array(repeating: 0xA5, count: 32)) }, .keys, [3, 0xFF]),
            ("rule ignoreCase", { $0.rules[1].ignoreCase = true }, .rules, [2]),
            ("entry flags", { $0.entries[0].allowCorsPreflight = true }, .entries, [2, 0x80, 0xFF]),
        ]
        let original = BundleParts(BundleWriter().write(SamplePrograms.full()))
        for (name, change, kind, values) in cases {
            var program = SamplePrograms.full()
            change(&program)
            let changed = BundleParts(BundleWriter().write(program))
            let offsets = differingOffsets(original[kind], changed[kind])
            XCTAssertEqual(offsets.count, 1, "\(name): the field should be one byte")
            guard let offset = offsets.first else { continue }
            for value in values {
                var parts = original
                parts[kind][offset] = value
                assertMalformed(parts.framed(), "\(name) = \(value)")
            }
        }
    }

    /// Method masks: only the nine known bits, never empty in a split, splits disjoint and
    /// sorted, and their sets and rule lists in range.
    func testBadMethodMasksFail() {
        let breakers: [(String, (inout DecisionProgram) -> Void)] = [
            ("rule mask bit 9", { $0.rules[0].methods = 1 << 9 }),
            ("rule mask bit 15", { $0.rules[2].methods = 0x8003 }),
            ("split mask bit 9", { $0.pathNodes[2].methodSplits[1].methods = 1 << 9 }),
            ("split mask bits 9-15", { $0.pathNodes[2].methodSplits[0].methods = 0xFE05 }),
            ("empty split mask", { $0.pathNodes[2].methodSplits[0].methods = 0 }),
            ("overlapping splits", { $0.pathNodes[2].methodSplits[1].methods = 0b1_0000_0100 }),
            ("unsorted splits", { $0.pathNodes[2].methodSplits.reverse() }),
            ("repeated split", { $0.pathNodes[2].methodSplits[1] = $0.pathNodes[2].methodSplits[0] }),
            ("ten splits", { program in
                program.pathNodes[0].methodSplits = (0..<10).map { MethodSplit(methods: 1 << UInt16($0), protecting: EntrySet(count: 2), matchedRules: []) }
            }),
            ("split entry bit", { $0.pathNodes[2].methodSplits[0].protecting.insert(2) }),
            ("split rule", { $0.pathNodes[2].methodSplits[1].matchedRules = [3] }),
        ]
        for (name, breakProgram) in breakers {
            var program = SamplePrograms.full()
            breakProgram(&program)
            assertMalformed(BundleWriter().write(program), name)
        }
    }

    func testLiteralKindIsChecked() {
        var a = SamplePrograms.full(), b = SamplePrograms.full()
        a.entries[1].claimChecks[2].operation = .equals(.boolean(false))
        b.entries[1].claimChecks[2].operation = .equals(.boolean(true))
        let partsA = BundleParts(BundleWriter().write(a))
        let offsets = differingOffsets(partsA[.entries], BundleParts(BundleWriter().write(b))[.entries])
        XCTAssertEqual(offsets.count, 1)
        guard let valueOffset = offsets.first else { return }
        for kind: UInt8 in [3, 0xFF] {
            var parts = partsA
            parts[.entries][valueOffset - 1] = kind
            assertMalformed(parts.framed(), "literal kind \(kind)")
        }
    }
}

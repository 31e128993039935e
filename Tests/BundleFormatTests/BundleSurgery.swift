import BundleFormat

/// The sections of a bundle, in the order the format requires them.
enum SectionKind: UInt32, CaseIterable {
    case strings = 1, manifest, sourceMap, keys, entries, rules, domainTrie, domainClasses, pathTrie
}

/// A well-formed bundle taken apart into its header fields and section bodies, so a
/// test can change one thing and frame it again with a correct table and digest: the
/// reader's semantic validation, not the digest check, is then what gets exercised.
struct BundleParts {
    static let magic: [UInt8] = [0x89, 0x47, 0x50, 0x42, 0x0D, 0x0A, 0x1A, 0x0A]
    static let headerSize = 16
    static let tableEntrySize = 12
    static let digestSize = 32
    static let signatureBlockSize = 104

    var version: UInt16
    var flags: UInt16
    var sections: [(kind: UInt32, body: [UInt8])]
    /// Whatever followed the digest (the signature block of a signed bundle).
    var trailer: [UInt8]

    /// Splits bytes the writer produced; traps on anything else (test input only).
    init(_ bytes: [UInt8]) {
        precondition(Array(bytes.prefix(8)) == Self.magic, "not a bundle")
        version = UInt16(readU32(bytes, at: 8) & 0xFFFF)
        flags = UInt16(readU32(bytes, at: 8) >> 16)
        let count = Int(readU32(bytes, at: 12))
        sections = []
        var end = Self.headerSize + count * Self.tableEntrySize
        for index in 0..<count {
            let entry = Self.headerSize + index * Self.tableEntrySize
            let offset = Int(readU32(bytes, at: entry + 4)), length = Int(readU32(bytes, at: entry + 8))
            sections.append((readU32(bytes, at: entry), Array(bytes[offset..<(offset + length)])))
            end = offset + length
        }
        trailer = Array(bytes[(end + Self.digestSize)...])
    }

    subscript(kind: SectionKind) -> [UInt8] {
        get { sections.first { $0.kind == kind.rawValue }!.body }
        set {
            let index = sections.firstIndex { $0.kind == kind.rawValue }!
            sections[index].body = newValue
        }
    }

    /// Header, a section table that matches the bodies, the bodies, a correct SHA-256
    /// digest, then the trailer unchanged.
    func framed() -> [UInt8] {
        var out = Self.magic
        appendU16(&out, version)
        appendU16(&out, flags)
        appendU32(&out, UInt32(sections.count))
        var offset = Self.headerSize + sections.count * Self.tableEntrySize
        for section in sections {
            appendU32(&out, section.kind)
            appendU32(&out, UInt32(offset))
            appendU32(&out, UInt32(section.body.count))
            offset += section.body.count
        }
        for section in sections { out += section.body }
        out += SHA256.digest(out)
        return out + trailer
    }

    /// Offset of the digest in the framed bytes.
    var digestOffset: Int {
        Self.headerSize + sections.count * Self.tableEntrySize + sections.reduce(0) { $0 + $1.body.count }
    }
}

/// The body of a strings section holding exactly these byte strings.
func stringsSection(_ strings: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    appendU32(&out, UInt32(strings.count))
    for string in strings {
        appendU32(&out, UInt32(string.count))
        out += string
    }
    return out
}

/// The byte strings of a strings section body.
func parseStringsSection(_ body: [UInt8]) -> [[UInt8]] {
    var strings: [[UInt8]] = []
    var offset = 4
    for _ in 0..<Int(readU32(body, at: 0)) {
        let length = Int(readU32(body, at: offset))
        strings.append(Array(body[(offset + 4)..<(offset + 4 + length)]))
        offset += 4 + length
    }
    return strings
}

/// Offsets at which two equally long byte arrays differ: finds where a field lives by
/// writing two programs that differ only in that field.
func differingOffsets(_ a: [UInt8], _ b: [UInt8]) -> [Int] {
    precondition(a.count == b.count, "the two encodings differ in length")
    return a.indices.filter { a[$0] != b[$0] }
}

func readU32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32(8 * $1) }
}

func writeU32(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
    for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
}

func appendU16(_ bytes: inout [UInt8], _ value: UInt16) {
    bytes += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
}

func appendU32(_ bytes: inout [UInt8], _ value: UInt32) {
    for index in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * index))) }
}

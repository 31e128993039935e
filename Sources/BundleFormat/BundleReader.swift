/// Reads and validates bundle bytes into a `DecisionProgram`.
///
/// Every offset, length, count and reference is checked before use, so a truncated,
/// bit-flipped or hostile bundle fails with a `BundleError` naming the problem; it never
/// crashes and never allocates more than the input can justify. When trusted keys are
/// given, an unsigned or wrongly signed bundle is refused (fail closed).
public struct BundleReader: Sendable {
    public var trustedKeys: [BundleTrustedKey]

    public init(trustedKeys: [BundleTrustedKey] = []) {
        self.trustedKeys = trustedKeys
    }

    public func read(_ bytes: [UInt8]) throws(BundleError) -> DecisionProgram {
        let (version, sections) = try frame(bytes)
        var strings: [String] = []
        var context = ReadContext(strings: [], version: version)
        for (kind, range) in sections {
            var reader = ByteReader(bytes, range: range, context: "section \(kind)")
            if kind == .strings {
                strings = try readStrings(&reader)
                context = ReadContext(strings: strings, version: version)
                try reader.expectEnd()
            }
        }
        var program = DecisionProgram(
            manifest: Manifest(compilerVersion: "", revision: "", sources: []), entries: [], keys: [], domainNodes: [],
            missingHostClass: 0, domainClasses: [], pathNodes: [], rules: [], sourceMap: [])
        for (kind, range) in sections where kind != .strings {
            var reader = ByteReader(bytes, range: range, context: "section \(kind)")
            switch kind {
            case .strings: break
            case .manifest: program.manifest = try context.manifest(&reader)
            case .sourceMap: program.sourceMap = try context.sourceMap(&reader)
            case .keys: program.keys = try context.keys(&reader)
            case .entries: program.entries = try context.entries(&reader)
            case .rules: program.rules = try context.rules(&reader)
            case .domainTrie: (program.missingHostClass, program.domainNodes) = try context.domainTrie(&reader)
            case .domainClasses: program.domainClasses = try context.domainClasses(&reader)
            case .pathTrie: program.pathNodes = try context.pathTrie(&reader)
            }
            try reader.expectEnd()
        }
        try CrossReferences.validate(program)
        return program
    }

    /// Checks the header, the section table, the digest and the signature; returns the
    /// format version and the sections in order.
    func frame(_ bytes: [UInt8]) throws(BundleError) -> (version: UInt16, sections: [(BundleLayout.Section, Range<Int>)]) {
        guard bytes.count >= BundleLayout.magic.count, Array(bytes[0..<BundleLayout.magic.count]) == BundleLayout.magic else {
            throw .notABundle
        }
        guard bytes.count >= BundleLayout.headerSize + BundleLayout.digestSize else { throw .truncated }
        var header = ByteReader(bytes, range: BundleLayout.magic.count..<BundleLayout.headerSize, context: "header")
        let version = try header.u16()
        guard BundleLayout.readableVersions.contains(version) else { throw .unsupportedVersion(version) }
        let flags = try header.u16()
        guard flags & ~BundleLayout.signedFlag == 0 else { throw .malformed("header: unknown flags \(flags)") }
        let sectionCount = Int(try header.u32())
        let expected = BundleLayout.Section.allCases
        guard sectionCount == expected.count else {
            throw .malformed("header: \(sectionCount) sections, expected \(expected.count)")
        }
        let tableEnd = BundleLayout.headerSize + sectionCount * BundleLayout.sectionEntrySize
        guard bytes.count >= tableEnd + BundleLayout.digestSize else { throw .truncated }
        var table = ByteReader(bytes, range: BundleLayout.headerSize..<tableEnd, context: "section table")
        var sections: [(BundleLayout.Section, Range<Int>)] = []
        var cursor = tableEnd
        for kind in expected {
            let rawKind = try table.u32(), offset = Int(try table.u32()), length = Int(try table.u32())
            guard rawKind == kind.rawValue else { throw .malformed("section table: section \(rawKind) where \(kind) belongs") }
            guard offset == cursor else { throw .malformed("section table: \(kind) starts at \(offset), expected \(cursor)") }
            guard length <= bytes.count - BundleLayout.digestSize - cursor else { throw .truncated }
            sections.append((kind, offset..<(offset + length)))
            cursor += length
        }
        let signed = flags & BundleLayout.signedFlag != 0
        let expectedLength = cursor + BundleLayout.digestSize + (signed ? BundleLayout.signatureBlockSize : 0)
        guard bytes.count >= expectedLength else { throw .truncated }
        guard bytes.count == expectedLength else {
            throw .malformed("\(bytes.count - expectedLength) unexpected bytes after the \(signed ? "signature" : "digest")")
        }
        let digest = Array(bytes[cursor..<(cursor + BundleLayout.digestSize)])
        guard SHA256.digest(bytes[0..<cursor]) == digest else { throw .digestMismatch }
        if signed {
            let block = cursor + BundleLayout.digestSize
            guard Array(bytes[block..<(block + 8)]) == BundleLayout.signatureMagic else {
                throw .malformed("the signature block has a bad magic number")
            }
            if !trustedKeys.isEmpty {
                let keyID = Array(bytes[(block + 8)..<(block + 40)])
                let signature = Array(bytes[(block + 40)..<(block + 104)])
                guard let key = trustedKeys.first(where: { $0.keyID == keyID }) else {
                    throw .untrustedSigner(hexString(keyID.prefix(8)))
                }
                guard key.verify(signature, of: digest) else { throw .signatureInvalid }
            }
        } else if !trustedKeys.isEmpty {
            throw .unsigned
        }
        return (version, sections)
    }

    func readStrings(_ reader: inout ByteReader) throws(BundleError) -> [String] {
        let count = try reader.count(minimumItemSize: 4)
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count {
            let bytes = try reader.blob()
            guard let string = String(validating: bytes, as: UTF8.self) else { throw reader.failure("a string that is not UTF-8") }
            strings.append(string)
        }
        return strings
    }
}

extension ByteReader {
    func expectEnd() throws(BundleError) {
        guard isAtEnd else { throw failure("\(remaining) unexpected bytes at the end of the section") }
    }
}

/// Constants of the bundle layout; `docs/bundle-format.md` describes it byte by byte.
enum BundleLayout {
    /// PNG-style magic: a high byte, the name, and line endings that text transfers mangle.
    static let magic: [UInt8] = [0x89, UInt8(ascii: "G"), UInt8(ascii: "P"), UInt8(ascii: "B"), 0x0D, 0x0A, 0x1A, 0x0A]
    /// 2: rule methods, path-node method splits and entry flags (`allowCorsPreflight`).
    /// 3: an entry's remote key source (`jwksUri` or `discovery`, refresh bounds, bootstrap time).
    static let formatVersion: UInt16 = 3
    /// The versions the reader accepts: a version 2 bundle reads as one without remote keys.
    static let readableVersions: ClosedRange<UInt16> = 2...3
    /// An entry's key source byte (version 3): keys in the bundle only, a JWKS URL, or discovery.
    enum KeySource: UInt8 {
        case bundled = 0, jwksUri = 1, discovery = 2
    }
    /// Entry flag bit 0: CORS preflights are not protected by the entry.
    static let corsPreflightFlag: UInt8 = 1
    static let headerSize = 16
    static let sectionEntrySize = 12
    static let digestSize = 32
    static let signatureMagic: [UInt8] = Array("GPSIG1\0\0".utf8)
    static let signatureBlockSize = 8 + 32 + 64
    /// Flag bit 0: a signature block follows the digest.
    static let signedFlag: UInt16 = 1
    /// Marks an absent optional string or number.
    static let none: UInt32 = 0xFFFF_FFFF

    /// Section kinds, in the order they are written.
    enum Section: UInt32, CaseIterable {
        case strings = 1
        case manifest = 2
        case sourceMap = 3
        case keys = 4
        case entries = 5
        case rules = 6
        case domainTrie = 7
        case domainClasses = 8
        case pathTrie = 9
    }
}

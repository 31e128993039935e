/// Little-endian writer for the bundle format.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func f64(_ value: Double) { u64(value.bitPattern) }

    mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }

    mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// A length-prefixed byte string.
    mutating func blob(_ data: [UInt8]) {
        u32(UInt32(data.count))
        raw(data)
    }

    mutating func count(_ value: Int) { u32(UInt32(value)) }
}

/// Bounds-checked little-endian reader: every read checks the remaining length, so a
/// truncated or hostile bundle fails with an error and never reads out of bounds.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int
    /// The section being read, for error messages.
    let context: String

    init(_ bytes: [UInt8], range: Range<Int>, context: String) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.context = context
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    func failure(_ message: String) -> BundleError {
        .malformed("\(context): \(message) at byte \(offset)")
    }

    mutating func u8() throws(BundleError) -> UInt8 {
        guard remaining >= 1 else { throw failure("unexpected end of data") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(BundleError) -> UInt16 {
        guard remaining >= 2 else { throw failure("unexpected end of data") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32() throws(BundleError) -> UInt32 {
        guard remaining >= 4 else { throw failure("unexpected end of data") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        offset += 4
        return value
    }

    mutating func u64() throws(BundleError) -> UInt64 {
        guard remaining >= 8 else { throw failure("unexpected end of data") }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return value
    }

    mutating func f64() throws(BundleError) -> Double {
        Double(bitPattern: try u64())
    }

    mutating func bool() throws(BundleError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw failure("a boolean that is neither 0 nor 1")
        }
    }

    mutating func raw(_ count: Int) throws(BundleError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw failure("a length of \(count) past the end of the section") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func blob() throws(BundleError) -> [UInt8] {
        try raw(Int(try u32()))
    }

    /// A count of items that each take at least `minimumItemSize` bytes: bounded by
    /// what remains, so a hostile count can never make the reader over-allocate.
    mutating func count(minimumItemSize: Int) throws(BundleError) -> Int {
        let value = Int(try u32())
        guard value <= remaining / max(1, minimumItemSize) else {
            throw failure("a count of \(value) that the remaining \(remaining) bytes cannot hold")
        }
        return value
    }
}

/// Why a bundle could not be loaded. Every case names what is wrong.
public enum BundleError: Error, Sendable, Hashable, CustomStringConvertible {
    case notABundle
    case unsupportedVersion(UInt16)
    case truncated
    case digestMismatch
    case malformed(String)
    case unsigned
    case signatureInvalid
    case untrustedSigner(String)
    case io(String)

    public var description: String {
        switch self {
        case .notABundle: "not a gatepass bundle (bad magic number)"
        case .unsupportedVersion(let version): "unsupported bundle format version \(version)"
        case .truncated: "the bundle is truncated"
        case .digestMismatch: "the bundle's SHA-256 digest does not match its content (corrupted or modified)"
        case .malformed(let detail): "malformed bundle: \(detail)"
        case .unsigned: "the bundle is not signed, but trusted keys were given"
        case .signatureInvalid: "the bundle's signature is invalid"
        case .untrustedSigner(let id): "the bundle is signed by an untrusted key (\(id))"
        case .io(let detail): detail
        }
    }
}

/// Why a base64url value was rejected, and where.
public struct Base64URLError: Error, Sendable, Hashable {
    /// The class of problem.
    public enum Kind: String, Sendable, Hashable {
        /// A `=` padding character; JOSE base64url never pads.
        case padding
        /// A space or tab.
        case whitespace
        /// A carriage return or line feed: the value looks line-wrapped.
        case lineBreak
        /// Any other byte outside the base64url alphabet (including `+` and `/`).
        case invalidCharacter
        /// The last character carries set bits that the decoded bytes do not use.
        case nonCanonical
        /// A length of 4n + 1 characters, which no byte sequence encodes to.
        case impossibleLength
    }

    /// The class of problem.
    public let kind: Kind
    /// Byte offset of the offending character in the encoded input.
    public let offset: Int

    /// Creates an error value.
    public init(kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A lowercase human description, built on demand.
    public var message: String {
        switch kind {
        case .padding: return "padding `=` at offset \(offset); base64url in JOSE is unpadded"
        case .whitespace: return "whitespace at offset \(offset)"
        case .lineBreak: return "a line break at offset \(offset); the value looks line-wrapped"
        case .invalidCharacter: return "a character outside the base64url alphabet at offset \(offset)"
        case .nonCanonical: return "non-canonical encoding: unused trailing bits are set at offset \(offset)"
        case .impossibleLength: return "impossible length \(offset) (4n + 1 characters)"
        }
    }
}

/// Strict, unpadded base64url (RFC 4648 §5, RFC 7515 §2): no padding, no whitespace,
/// no line breaks, and only the canonical encoding of each byte sequence.
public enum Base64URL {
    /// Decodes strict base64url text.
    public static func decode(_ text: some Collection<UInt8>) -> Result<[UInt8], Base64URLError> {
        if let result = text.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return result }
        return Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes strict base64url text.
    public static func decode(_ text: some StringProtocol) -> Result<[UInt8], Base64URLError> {
        decode(text.utf8)
    }

    static func decode(buffer: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], Base64URLError> {
        var failure: Base64URLError?
        let bytes = [UInt8](unsafeUninitializedCapacity: decodedLength(buffer.count)) { out, count in
            switch decode(buffer, into: out.baseAddress!) {
            case .success(let written): count = written
            case .failure(let error): failure = error; count = 0
            }
        }
        if let failure { return .failure(failure) }
        return .success(bytes)
    }

    /// The decoded length of `count` characters (an upper bound for invalid lengths).
    static func decodedLength(_ count: Int) -> Int {
        count / 4 * 3 + (count % 4 == 3 ? 2 : count % 4 == 2 ? 1 : 0) + 1
    }

    /// Decodes `text` into `out`, which must have room for ``decodedLength(_:)`` bytes;
    /// returns the number of bytes written or the first problem.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Result<Int, Base64URLError> {
        Base64URLTable.decoding.withUnsafeBufferPointer { table in
            Base64URLTable.shifted.withUnsafeBufferPointer { shifted in
                decode(text, into: out, table: table, shifted: shifted)
            }
        }
    }

    private static func decode(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, table: UnsafeBufferPointer<UInt8>,
        shifted: UnsafeBufferPointer<UInt32>
    ) -> Result<Int, Base64URLError> {
        let count = text.count
        var written = 0
        var offset = 0
        // Four characters at a time through four tables that hold each value already in
        // its place of the 24-bit group, so a group is three ORs; an invalid character
        // sets bit 24 and leaves the group to the exact loop below, which names it.
        while offset + 4 <= count {
            let word = shifted[Int(text[offset])] | shifted[256 + Int(text[offset + 1])]
                | shifted[512 + Int(text[offset + 2])] | shifted[768 + Int(text[offset + 3])]
            if word >> 24 != 0 { break }
            out[written] = UInt8(truncatingIfNeeded: word >> 16)
            out[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
            out[written + 2] = UInt8(truncatingIfNeeded: word)
            written += 3
            offset += 4
        }
        var accumulator: UInt32 = 0
        var pending = 0
        while offset < count {
            let byte = text[offset]
            let value = table[Int(byte)]
            if value & 0xC0 != 0 {
                return .failure(Base64URLError(kind: Base64URLTable.kind(of: byte), offset: offset))
            }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                out[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                out[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                written += 3
                accumulator = 0
                pending = 0
            }
            offset += 1
        }
        switch pending {
        case 0:
            break
        case 1:
            return .failure(Base64URLError(kind: .impossibleLength, offset: count))
        case 2:
            if accumulator & 0x0F != 0 { return .failure(Base64URLError(kind: .nonCanonical, offset: count - 1)) }
            out[written] = UInt8(truncatingIfNeeded: accumulator >> 4)
            written += 1
        default:
            if accumulator & 0x03 != 0 { return .failure(Base64URLError(kind: .nonCanonical, offset: count - 1)) }
            out[written] = UInt8(truncatingIfNeeded: accumulator >> 10)
            out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
            written += 2
        }
        return .success(written)
    }

    /// Encodes bytes as unpadded base64url.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        let alphabet = Base64URLTable.alphabet
        var index = 0
        while index + 3 <= bytes.count {
            let word = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
            out.append(alphabet[Int(word >> 6 & 63)])
            out.append(alphabet[Int(word & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let word = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
        } else if rest == 2 {
            let word = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
            out.append(alphabet[Int(word >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

enum Base64URLTable {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Four tables of 256: for the character at position i (0...3) of a group, its value
    /// shifted to bits 18, 12, 6 or 0; `1 << 24` for a byte outside the alphabet.
    static let shifted: [UInt32] = {
        var table = [UInt32](repeating: 1 << 24, count: 1024)
        for (value, byte) in alphabet.enumerated() {
            for position in 0..<4 { table[256 * position + Int(byte)] = UInt32(value) << UInt32(18 - 6 * position) }
        }
        return table
    }()

    /// 0...63 for alphabet bytes, 255 otherwise.
    static let decoding: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    static func kind(of byte: UInt8) -> Base64URLError.Kind {
        switch byte {
        case UInt8(ascii: "="): return .padding
        case UInt8(ascii: " "), UInt8(ascii: "\t"): return .whitespace
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return .lineBreak
        default: return .invalidCharacter
        }
    }
}

/// A JSON value from ``StrictJSON``, carrying the byte range it occupied in the parsed text.
///
/// Objects keep their members in source order as a flat array (no dictionary is built);
/// the parser has already rejected duplicate member names, so a lookup finds at most one.
public enum JSONValue: Sendable, Hashable {
    case null(span: Range<Int>)
    case bool(Bool, span: Range<Int>)
    case number(JSONNumber, span: Range<Int>)
    case string(String, span: Range<Int>)
    case array([JSONValue], span: Range<Int>)
    case object([JSONMember], span: Range<Int>)

    /// Byte offsets of the value in the parsed text (strings include their quotes).
    public var span: Range<Int> {
        switch self {
        case .null(let span), .bool(_, let span), .number(_, let span),
             .string(_, let span), .array(_, let span), .object(_, let span):
            return span
        }
    }

    /// The member named `name` when this is an object.
    ///
    /// Names are compared byte for byte, never by Unicode canonical equivalence (RFC 7515
    /// §5.3, RFC 7519 §7.3: no normalisation): a claim `e` + U+0301 is not the claim `é`.
    /// (The parser refuses an object with two canonically equivalent names as duplicates,
    /// so no object has two members a looser comparison would confuse.)
    public subscript(member name: String) -> JSONValue? {
        self[member: JSONMemberName(name)]
    }

    /// The member named `name` when this is an object, with the name's key made once (for
    /// names looked up in every token: registered claims, a policy's claim paths).
    public subscript(member name: JSONMemberName) -> JSONValue? {
        guard case .object(let members, _) = self, let index = Self.index(of: name, in: members) else { return nil }
        return members[index].value
    }

    /// The object member (name, spans and value) named `name`, compared byte for byte.
    public func member(_ name: String) -> JSONMember? {
        guard case .object(let members, _) = self, let index = Self.index(of: JSONMemberName(name), in: members) else { return nil }
        return members[index]
    }

    /// Where the member named `name` is, reading members in place (a copy would retain its
    /// parts): one integer per member, which is the whole name when the name is short.
    @inline(__always)
    private static func index(of name: JSONMemberName, in members: [JSONMember]) -> Int? {
        var index = 0
        while index < members.count {
            if members[index].nameKey == name.key, name.isShort || UTF8Bytes.equal(members[index].name, name.text) { return index }
            index += 1
        }
        return nil
    }

    /// The members of an object, in source order.
    public var members: [JSONMember]? {
        if case .object(let members, _) = self { return members }
        return nil
    }

    /// The elements of an array.
    public var elements: [JSONValue]? {
        if case .array(let elements, _) = self { return elements }
        return nil
    }

    /// The text of a string value.
    public var stringValue: String? {
        if case .string(let text, _) = self { return text }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let number, _) = self { return number }
        return nil
    }

    /// The boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value, _) = self { return value }
        return nil
    }

    /// A short name of the value's type for messages: `string`, `number`, `object`...
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    /// The decoded member name.
    public let name: String
    /// Byte offsets of the name in the parsed text, including its quotes.
    public let nameSpan: Range<Int>
    /// The member's value.
    public let value: JSONValue
    /// The name's length, ASCII-ness and first bytes in one integer (``nameKey(_:)``), so
    /// a lookup compares one integer per member: claim names are short, and comparing
    /// `String`s costs far more than their few bytes.
    let nameKey: UInt64

    /// Creates a member.
    public init(name: String, nameSpan: Range<Int>, value: JSONValue) {
        self.init(name: name, nameSpan: nameSpan, value: value, nameKey: Self.nameKey(name))
    }

    /// Creates a member whose key the parser made from the name's bytes.
    init(name: String, nameSpan: Range<Int>, value: JSONValue, nameKey: UInt64) {
        self.name = name
        self.nameSpan = nameSpan
        self.value = value
        self.nameKey = nameKey
    }

    /// Names of at most this many UTF-8 bytes are all in their key.
    static let keyBytes = 7
    /// Set in the key of a name with a byte of 0x80 or more.
    static let nonASCIIBit: UInt64 = 1 << 63

    /// The length (up to 127) in bits 56-62, whether some byte is not ASCII in bit 63, the
    /// first `keyBytes` bytes below: equal names have equal keys, for names of at most
    /// `keyBytes` bytes equal keys mean equal names, and two ASCII names (bit 63 clear)
    /// with different keys differ even under Unicode canonical equivalence.
    static func nameKey(_ name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { nameKey(bytes: $0) }
    }

    /// ``nameKey(_:)`` of a name given as its UTF-8 bytes.
    @inline(__always)
    static func nameKey(bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key = UInt64(min(bytes.count, 127)) << 56
        var high: UInt8 = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            high |= byte
            if index < keyBytes { key |= UInt64(byte) << UInt64(8 * index) }
        }
        return high & 0x80 == 0 ? key : key | nonASCIIBit
    }
}

/// A member name with its lookup key made once: what a lookup made in every token (a
/// registered claim, a header parameter, a policy's claim path) is built from at start-up.
public struct JSONMemberName: Sendable, Hashable {
    /// The name.
    public let text: String
    /// ``JSONMember/nameKey(_:)`` of `text`.
    let key: UInt64
    /// Whether the key holds the whole name (so equal keys mean equal names).
    let isShort: Bool

    /// Makes the key of `text`.
    public init(_ text: String) {
        self.text = text
        key = JSONMember.nameKey(text)
        isShort = text.utf8.count <= JSONMember.keyBytes
    }

    // Registered claims (RFC 7519 §4.1) and the header parameters a verifier reads.
    static let iss = JSONMemberName("iss"), sub = JSONMemberName("sub"), aud = JSONMemberName("aud")
    static let exp = JSONMemberName("exp"), nbf = JSONMemberName("nbf"), iat = JSONMemberName("iat")
    static let alg = JSONMemberName("alg"), crit = JSONMemberName("crit"), b64 = JSONMemberName("b64")
    static let kid = JSONMemberName("kid"), typ = JSONMemberName("typ")
}

/// A JSON number: its exact source text and, when finite, its nearest `Double`.
public struct JSONNumber: Sendable, Hashable {
    /// The number exactly as written.
    public let text: String
    /// The correctly rounded value; `nil` when it is not finite (for example `1e400`).
    public let double: Double?

    /// Creates a number from its source text.
    public init(text: String) {
        self.init(text: text, smallInteger: Self.smallInteger(text))
    }

    /// Creates a number whose text the parser has just read as `bytes` (validated JSON).
    init(text: String, bytes: UnsafeBufferPointer<UInt8>) {
        self.init(text: text, smallInteger: Self.smallInteger(bytes))
    }

    private init(text: String, smallInteger: Double?) {
        self.text = text
        if let value = smallInteger {
            self.double = value
        } else if let value = Double(text), value.isFinite {
            self.double = value
        } else {
            self.double = nil
        }
    }

    /// Fast exact path for plain integers of up to 15 digits (every NumericDate in practice).
    static func smallInteger(_ text: String) -> Double? {
        text.utf8.withContiguousStorageIfAvailable { smallInteger($0) } ?? nil
    }

    @inline(__always)
    static func smallInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var value: Int64 = 0
        for index in 0..<bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return Double(value)
    }
}

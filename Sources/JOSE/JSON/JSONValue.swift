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
        guard case .object(let members, _) = self, let index = Self.index(of: name, in: members) else { return nil }
        return members[index].value
    }

    /// The object member (name, spans and value) named `name`, compared byte for byte.
    public func member(_ name: String) -> JSONMember? {
        guard case .object(let members, _) = self, let index = Self.index(of: name, in: members) else { return nil }
        return members[index]
    }

    /// Where the member named `name` is, reading members in place (a copy would retain its
    /// parts): one integer per member, which is the whole name when the name is short.
    @inline(__always)
    private static func index(of name: String, in members: [JSONMember]) -> Int? {
        let key = JSONMember.nameKey(name), short = name.utf8.count <= JSONMember.keyBytes
        var index = 0
        while index < members.count {
            if members[index].nameKey == key, short || UTF8Bytes.equal(members[index].name, name) { return index }
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
    /// The name's length and first bytes in one integer (``nameKey(_:)``), so a lookup
    /// compares one integer per member: claim names are short, and comparing `String`s
    /// costs far more than their few bytes.
    let nameKey: UInt64

    /// Creates a member.
    public init(name: String, nameSpan: Range<Int>, value: JSONValue) {
        self.name = name
        self.nameSpan = nameSpan
        self.value = value
        nameKey = Self.nameKey(name)
    }

    /// Names of at most this many UTF-8 bytes are all in their key.
    static let keyBytes = 7

    /// The length (up to 255) in the top byte, the first `keyBytes` bytes below it: equal
    /// names have equal keys, and for names of at most `keyBytes` bytes equal keys mean
    /// equal names.
    static func nameKey(_ name: String) -> UInt64 {
        let count = name.utf8.count
        var key = UInt64(min(count, 255)) << 56
        let read: Void? = name.utf8.withContiguousStorageIfAvailable { bytes in
            for index in 0..<min(keyBytes, bytes.count) { key |= UInt64(bytes[index]) << UInt64(8 * index) }
        }
        if read == nil {
            for (index, byte) in name.utf8.prefix(keyBytes).enumerated() { key |= UInt64(byte) << UInt64(8 * index) }
        }
        return key
    }
}

/// A JSON number: its exact source text and, when finite, its nearest `Double`.
public struct JSONNumber: Sendable, Hashable {
    /// The number exactly as written.
    public let text: String
    /// The correctly rounded value; `nil` when it is not finite (for example `1e400`).
    public let double: Double?

    /// Creates a number from its source text.
    public init(text: String) {
        self.text = text
        if let value = Self.smallInteger(text) {
            self.double = value
        } else if let value = Double(text), value.isFinite {
            self.double = value
        } else {
            self.double = nil
        }
    }

    /// Fast exact path for plain integers of up to 15 digits (every NumericDate in practice).
    static func smallInteger(_ text: String) -> Double? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { bytes -> Double? in
            guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
            var value: Int64 = 0
            for byte in bytes {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return Double(value)
        } ?? nil
    }
}

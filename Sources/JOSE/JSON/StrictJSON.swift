#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict JSON parser (RFC 8259) for untrusted JOSE headers, claim sets and key sets.
///
/// UTF-8 only, no byte order mark, duplicate member names rejected, nesting and size
/// bounded, numbers kept with their exact source text. Every value records its byte span.
public enum StrictJSON {
    /// Parses one JSON value that must fill the whole input (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer, limits: limits)
        }
    }

    /// Parses one JSON value from raw memory; spans are offsets from `buffer`'s start.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        if buffer.count > limits.maxBytes {
            throw JSONParseError(offset: 0, kind: .tooLarge(limit: limits.maxBytes))
        }
        var parser = JSONParser(bytes: buffer, maxDepth: limits.maxDepth)
        return try parser.parseDocument()
    }
}

/// The recursive-descent parser behind ``StrictJSON``.
struct JSONParser {
    var bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0
    var depth = 0
    /// Scratch space for strings that contain escapes.
    var scratch: [UInt8] = []
    /// Members and elements of the containers being parsed, as stacks: each finished
    /// container is copied out once at its exact size, so parsing never grows arrays.
    var memberStack: [JSONMember] = []
    var elementStack: [JSONValue] = []
    /// The key of the member name ``parseMemberName()`` read last.
    var nameKey: UInt64 = 0
    /// When false, values are validated exactly as when built, but not built: strings,
    /// numbers and containers come back as `.null` carrying their span (see
    /// ``parseShallowDocument(_:)``); member names are still read, for the duplicate check.
    var building = true
    /// When true, the top-level object of ``parseShallowDocument(_:)`` leaves its members
    /// on ``memberStack`` instead of taking them (see ``parseShallowDocumentOnStack(_:)``).
    var keepingTopLevelMembers = false

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses another document with the same scratch storage (used for a token's header and payload).
    mutating func parseDocument(_ next: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        bytes = next
        position = 0
        depth = 0
        memberStack.removeAll(keepingCapacity: true)
        elementStack.removeAll(keepingCapacity: true)
        return try parseDocument()
    }

    /// Parses a document that should be an object, building only its members' names: each
    /// member's value is validated as ``parseDocument(_:)`` would validate it (same errors,
    /// same offsets) and recorded as `.null(span:)` of where it is, to be built later with
    /// ``buildValue(at:in:maxDepth:)``. Nil when the document is valid JSON but not an object.
    ///
    /// This is how a token's claims are read: a decision asks for a few of them, and
    /// building (then freeing) every string and array of a claim set costs more than the
    /// rest of the parse.
    mutating func parseShallowDocument(_ next: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> [JSONMember]? {
        bytes = next
        position = 0
        depth = 0
        // Guarded: clearing an empty array still costs a call.
        if !memberStack.isEmpty { memberStack.removeAll(keepingCapacity: true) }
        if !elementStack.isEmpty { elementStack.removeAll(keepingCapacity: true) }
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else {
            _ = try parseDocument()
            return nil
        }
        let object = try parseObject(shallow: true)
        skipWhitespace()
        if position != bytes.count { throw JSONParseError(offset: position, kind: .trailingContent) }
        return object.members
    }

    /// ``parseShallowDocument(_:)``, leaving the members on ``memberStack`` (from index 0)
    /// for the caller to read and then clear, so the stack's storage serves the next
    /// document: false when the document is valid JSON but not an object.
    mutating func parseShallowDocumentOnStack(_ next: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> Bool {
        keepingTopLevelMembers = true
        defer { keepingTopLevelMembers = false }
        return try parseShallowDocument(next) != nil
    }

    /// Builds the value at `span` of `buffer`, a span ``parseShallowDocument(_:)`` recorded
    /// for a member of the top-level object (already validated, so this cannot fail). Spans
    /// in the result are offsets in `buffer`, as if the whole document had been built.
    static func buildValue(at span: Range<Int>, in buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> JSONValue {
        var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
        parser.position = span.lowerBound
        parser.depth = 1
        do throws(JSONParseError) {
            let value = try parser.parseValue()
            precondition(parser.position == span.upperBound, "a validated JSON value ends where its span does")
            return value
        } catch {
            preconditionFailure("a validated JSON value failed to parse again: \(error)")
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != bytes.count { throw JSONParseError(offset: position, kind: .trailingContent) }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    func fail(_ kind: JSONParseError.Kind, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? position, kind: kind)
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""):
            guard building else {
                try skipString()
                return .null(span: start..<position)
            }
            let text = try parseString()
            return .string(text, span: start..<position)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true, span: start..<position)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false, span: start..<position)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null(span: start..<position)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case let byte:
            throw fail(byte >= 0x80 ? .invalidUTF8 : .unexpectedByte(byte))
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let pointer = literal.utf8Start
        for index in 0..<count {
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            if bytes[position] != pointer[index] { throw fail(.unexpectedByte(bytes[position])) }
            position += 1
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw fail(.tooDeep(limit: maxDepth)) }
    }

    /// `shallow`: the members' values are validated but not built (``building`` is false
    /// while each is read), and the members are returned with `.null(span:)` values.
    mutating func parseObject(shallow: Bool = false) throws(JSONParseError) -> JSONValue {
        let start = position
        try enter()
        position += 1
        let base = memberStack.count
        var seen: Set<String>? = nil
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return building ? .object([], span: start..<position) : .null(span: start..<position)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[position] == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(bytes[position])) }
            let nameStart = position
            // A shallow object's plain ASCII names stay unbuilt (read from their spans).
            let name = shallow ? try parseMemberNameLeavingPlainASCII() : try parseMemberName()
            let key = nameKey
            let nameSpan = nameStart..<position
            try checkUnique(name, key: key, span: nameSpan, from: base, seen: &seen)
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[position] == UInt8(ascii: ":") else { throw fail(.unexpectedByte(bytes[position])) }
            position += 1
            skipWhitespace()
            if shallow { building = false }
            let value: JSONValue
            do throws(JSONParseError) {
                value = try parseValue()
            } catch {
                if shallow { building = true }
                throw error
            }
            if shallow {
                building = true
                // A placeholder made here, not the one returned: no copy of an enum.
                memberStack.append(JSONMember(name: name, nameSpan: nameSpan, value: .null(span: value.span), nameKey: key))
            } else {
                memberStack.append(JSONMember(name: name, nameSpan: nameSpan, value: value, nameKey: key))
            }
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                guard building else {
                    memberStack.removeLast(memberStack.count - base)
                    return .null(span: start..<position)
                }
                if shallow, keepingTopLevelMembers { return .object([], span: start..<position) }
                return .object(takeMembers(from: base), span: start..<position)
            case let byte:
                throw fail(.unexpectedByte(byte))
            }
        }
    }

    /// The finished container's members. The outermost container owns the whole stack,
    /// which is handed over without copying (the next document reserves a new one).
    mutating func takeMembers(from base: Int) -> [JSONMember] {
        if base == 0 {
            defer { memberStack = [] }
            return memberStack
        }
        let members = Array(memberStack[base...])
        memberStack.removeLast(memberStack.count - base)
        return members
    }

    /// The finished array's elements, handed over like ``takeMembers(from:)``.
    mutating func takeElements(from base: Int) -> [JSONValue] {
        if base == 0 {
            defer { elementStack = [] }
            return elementStack
        }
        let elements = Array(elementStack[base...])
        elementStack.removeLast(elementStack.count - base)
        return elements
    }

    /// Duplicate names are rejected, and so are names equal under Unicode canonical
    /// equivalence (which a byte-exact lookup would treat as two members). Objects in
    /// tokens are small, so a linear scan is used until an object grows past 16 members;
    /// larger ones switch to a hash set (of `String`, which compares canonically).
    ///
    /// The scan compares keys: two ASCII names are equivalent only when their bytes are
    /// equal, so when neither key has ``JSONMember/nonASCIIBit`` different keys mean
    /// different names, equal keys of short names mean the same name, and equal keys of
    /// long ones are settled by the bytes; anything else (a non-ASCII name) is compared as
    /// `String`s. A name may be unbuilt (``parseMemberNameLeavingPlainASCII()``).
    @inline(__always)
    func checkUnique(_ name: String, key: UInt64, span: Range<Int>, from base: Int, seen: inout Set<String>?) throws(JSONParseError) {
        if seen != nil || memberStack.count - base >= 16 {
            return try checkUniqueHashed(name, span: span, from: base, seen: &seen)
        }
        let lengthField: UInt64 = 0x7F << 56
        let shortASCII = key & JSONMember.nonASCIIBit == 0 && key & lengthField <= UInt64(JSONMember.keyBytes) << 56
        var index = base
        while index < memberStack.count {
            let other = memberStack[index].nameKey
            if (key | other) & JSONMember.nonASCIIBit == 0 {
                if other == key, shortASCII || sameBytes(memberStack[index].name, memberStack[index].nameSpan, name, span) {
                    throw duplicate(name, span: span)
                }
            } else if sameText(at: index, name, span: span) {
                throw duplicate(name, span: span)
            }
            index += 1
        }
    }

    /// The members from `base` on, and the one being added, through a hash set of their
    /// texts (made when the object reaches 16 members).
    @inline(never)
    func checkUniqueHashed(_ name: String, span: Range<Int>, from base: Int, seen: inout Set<String>?) throws(JSONParseError) {
        if seen == nil {
            var set = Set<String>(minimumCapacity: 64)
            for index in base..<memberStack.count { set.insert(nameText(memberStack[index].name, span: memberStack[index].nameSpan)) }
            seen = set
        }
        if !seen!.insert(nameText(name, span: span)).inserted { throw duplicate(name, span: span) }
    }

    /// Whether the member at `index` and a name, one of them not ASCII, are equal as
    /// `String`s (Unicode canonical equivalence).
    @inline(never)
    func sameText(at index: Int, _ name: String, span: Range<Int>) -> Bool {
        nameText(memberStack[index].name, span: memberStack[index].nameSpan) == nameText(name, span: span)
    }

    @inline(never)
    func duplicate(_ name: String, span: Range<Int>) -> JSONParseError {
        fail(.duplicateMember(nameText(name, span: span)), at: span.lowerBound)
    }

    /// The text of a member name: `name`, or when it is empty (unbuilt, or truly empty)
    /// the bytes between the quotes of its span in ``bytes``.
    func nameText(_ name: String, span: Range<Int>) -> String {
        guard name.isEmpty else { return name }
        return String(decoding: Self.nameContent(span, in: bytes), as: UTF8.self)
    }

    /// The bytes between the quotes of a name's span.
    static func nameContent(_ span: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[(span.lowerBound + 1)..<(span.upperBound - 1)])
    }

    /// Whether two names (either possibly unbuilt) have the same UTF-8 bytes.
    func sameBytes(_ a: String, _ aSpan: Range<Int>, _ b: String, _ bSpan: Range<Int>) -> Bool {
        switch (a.isEmpty, b.isEmpty) {
        case (false, false): return UTF8Bytes.equal(a, b)
        case (true, false): return UTF8Bytes.equal(Self.nameContent(aSpan, in: bytes), b)
        case (false, true): return UTF8Bytes.equal(Self.nameContent(bSpan, in: bytes), a)
        case (true, true):
            let x = Self.nameContent(aSpan, in: bytes), y = Self.nameContent(bSpan, in: bytes)
            return x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
        }
    }

    /// Where the member named `name` is among `members`, a shallow object's members parsed
    /// from `text` (their names possibly unbuilt): ``JSONValue/index(of:in:)`` for them.
    static func index(of name: JSONMemberName, in members: [JSONMember], text: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < members.count {
            if members[index].nameKey == name.key {
                if name.isShort { return index }
                let member = members[index].name
                if member.isEmpty ? UTF8Bytes.equal(nameContent(members[index].nameSpan, in: text), name.text) : UTF8Bytes.equal(member, name.text) {
                    return index
                }
            }
            index += 1
        }
        return nil
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        let start = position
        try enter()
        position += 1
        let base = elementStack.count
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return building ? .array([], span: start..<position) : .null(span: start..<position)
        }
        while true {
            skipWhitespace()
            let element = try parseValue()
            if building { elementStack.append(element) }
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                guard building else { return .null(span: start..<position) }
                return .array(takeElements(from: base), span: start..<position)
            case let byte:
                throw fail(.unexpectedByte(byte))
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw fail(.invalidNumber, at: start) }
        } else if isDigit(bytes[position]) {
            skipDigits()
        } else {
            throw fail(.invalidNumber, at: start)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail(.invalidNumber, at: start) }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail(.invalidNumber, at: start) }
            skipDigits()
        }
        guard building else { return .null(span: start..<position) }
        let digits = UnsafeBufferPointer(rebasing: bytes[start..<position])
        return .number(JSONNumber(text: String(decoding: digits, as: UTF8.self), bytes: digits), span: start..<position)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }
}

/// Bounds applied while parsing untrusted JSON.
public struct JSONLimits: Sendable, Hashable {
    /// The deepest nesting of arrays and objects allowed (the top level is depth 1).
    public var maxDepth: Int
    /// The largest input accepted, in bytes.
    public var maxBytes: Int

    /// Creates limits.
    public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    /// Limits for JOSE headers and JWT claim sets (depth 32, 1 MiB).
    public static let `default` = JSONLimits()
}

/// Why JSON text was rejected, with the byte offset where the problem starts.
public struct JSONParseError: Error, Sendable, Hashable {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidUTF8
        case lineBreakInString
        case controlCharacterInString
        case invalidEscape
        case loneSurrogate
        case invalidNumber
        case duplicateMember(String)
        case tooDeep(limit: Int)
        case tooLarge(limit: Int)
        case trailingContent
    }

    /// Byte offset in the input.
    public let offset: Int
    /// The class of problem.
    public let kind: Kind

    /// Creates an error value.
    public init(offset: Int, kind: Kind) {
        self.offset = offset
        self.kind = kind
    }

    /// A lowercase human description, built on demand.
    public var message: String {
        switch kind {
        case .unexpectedEnd:
            return "unexpected end of JSON text at offset \(offset)"
        case .unexpectedByte(let byte):
            let shown = byte >= 0x20 && byte < 0x7F ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(byte, radix: 16))"
            return "unexpected \(shown) at offset \(offset)"
        case .invalidUTF8:
            return "invalid UTF-8 at offset \(offset)"
        case .lineBreakInString:
            return "a line break inside a string at offset \(offset); the value looks line-wrapped (join the lines)"
        case .controlCharacterInString:
            return "an unescaped control character inside a string at offset \(offset)"
        case .invalidEscape:
            return "an invalid escape sequence at offset \(offset)"
        case .loneSurrogate:
            return "a `\\u` escape of a lone UTF-16 surrogate at offset \(offset)"
        case .invalidNumber:
            return "an invalid number at offset \(offset)"
        case .duplicateMember(let name):
            return "duplicate member `\(name)` at offset \(offset)"
        case .tooDeep(let limit):
            return "nesting deeper than \(limit) levels at offset \(offset)"
        case .tooLarge(let limit):
            return "JSON text larger than \(limit) bytes"
        case .trailingContent:
            return "unexpected content after the JSON value at offset \(offset)"
        }
    }
}

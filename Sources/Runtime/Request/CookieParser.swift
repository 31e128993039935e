/// Cookies from `Cookie` headers (`a=b; c=d`), RFC 6265 §5.4 style.
///
/// Every `Cookie` header is read (HTTP/2 clients split them). Pairs are separated by
/// `;`, surrounding spaces and tabs are dropped, the name is everything before the first
/// `=` and compares case-sensitively, and a value in double quotes is unquoted. A piece
/// without `=` is skipped. Values are not percent-decoded.
public enum CookieParser {
    public struct Cookie: Sendable, Hashable {
        public var name: Substring
        /// Unquoted: `"abc"` is `abc`.
        public var value: Substring
    }

    /// The cookies of one `Cookie` header value, in order. Lazy; allocates nothing.
    public static func cookies(in headerValue: String) -> Cookies {
        Cookies(text: headerValue[...])
    }

    /// The cookies of every `Cookie` header, in order.
    public static func cookies(from headers: [HTTPHeader]) -> [Cookie] {
        var result: [Cookie] = []
        for value in HeaderLookup.values(named: "cookie", in: headers) {
            result.append(contentsOf: cookies(in: value))
        }
        return result
    }

    /// The (unquoted) values of every cookie called `name`, across all `Cookie` headers.
    public static func values(named name: String, in headers: [HTTPHeader]) -> [Substring] {
        var result: [Substring] = []
        for value in HeaderLookup.values(named: "cookie", in: headers) {
            for cookie in cookies(in: value) where cookie.name.utf8.elementsEqual(name.utf8) {
                result.append(cookie.value)
            }
        }
        return result
    }

    public struct Cookies: Sequence, Sendable {
        let text: Substring

        public func makeIterator() -> Iterator { Iterator(text: text, position: text.startIndex) }

        public struct Iterator: IteratorProtocol, Sendable {
            let text: Substring
            var position: Substring.Index

            public mutating func next() -> Cookie? {
                let utf8 = text.utf8
                while let field = KeyValueField.next(in: text, from: &position, separator: ASCII.semicolon) {
                    guard let equals = field.equals else { continue }
                    let name = Whitespace.trimmed(text[field.start..<equals])
                    var value = Whitespace.trimmed(text[utf8.index(after: equals)..<field.end])
                    let valueBytes = value.utf8
                    if valueBytes.count >= 2, valueBytes.first == ASCII.quote, valueBytes.last == ASCII.quote {
                        value = value[valueBytes.index(after: valueBytes.startIndex)..<valueBytes.index(before: valueBytes.endIndex)]
                    }
                    if name.isEmpty { continue }
                    return Cookie(name: name, value: value)
                }
                return nil
            }
        }
    }
}

/// One `name=value` field of a list separated by `;` (cookies) or `&` (queries).
struct KeyValueField {
    var start: Substring.Index
    /// The first `=`, if any.
    var equals: Substring.Index?
    var end: Substring.Index

    /// The field at `position`, moving `position` past its separator; nil at the end.
    static func next(in text: Substring, from position: inout Substring.Index, separator: UInt8) -> KeyValueField? {
        let utf8 = text.utf8
        guard position < utf8.endIndex else { return nil }
        let start = position
        var equals: Substring.Index?
        var i = start
        while i < utf8.endIndex && utf8[i] != separator {
            if equals == nil && utf8[i] == ASCII.equals { equals = i }
            i = utf8.index(after: i)
        }
        position = i < utf8.endIndex ? utf8.index(after: i) : i
        return KeyValueField(start: start, equals: equals, end: i)
    }
}

/// Trimming of optional whitespace (spaces and tabs) on substrings, without allocating.
enum Whitespace {
    static func trimmed(_ text: Substring) -> Substring {
        trimmedTrailing(trimmedLeading(text))
    }

    static func trimmedLeading(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex
        while start < utf8.endIndex && ASCII.isWhitespace(utf8[start]) { start = utf8.index(after: start) }
        return text[start..<utf8.endIndex]
    }

    static func trimmedTrailing(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var end = utf8.endIndex
        while end > utf8.startIndex {
            let previous = utf8.index(before: end)
            guard ASCII.isWhitespace(utf8[previous]) else { break }
            end = previous
        }
        return text[utf8.startIndex..<end]
    }
}

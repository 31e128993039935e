/// Name/value pairs of a raw query (`a=1&b=2`), split on `&` only.
///
/// Names and values are percent-decoded once; `+` is left as `+` (tokens are base64url,
/// and a `+` that meant a space would only break them). A broken escape is kept as it
/// is; bytes that do not form UTF-8 become U+FFFD. Names compare case-sensitively,
/// after decoding, so `acc%65ss_token` is `access_token`.
public enum QueryParser {
    public struct Parameter: Sendable, Hashable {
        /// The name as written in the query.
        public var rawName: Substring
        /// The value as written, `nil` when there is no `=`.
        public var rawValue: Substring?

        public var name: String { QueryParser.percentDecode(rawName) }
        public var value: String { rawValue.map(QueryParser.percentDecode) ?? "" }
    }

    /// The parameters in order, skipping empty pieces (`a=1&&b=2`). Lazy; allocates nothing.
    public static func parameters(in rawQuery: Substring) -> Parameters {
        Parameters(query: rawQuery)
    }

    /// The decoded values of every parameter called `name` (compared after decoding).
    public static func values(named name: String, in rawQuery: Substring) -> [String] {
        var result: [String] = []
        for parameter in parameters(in: rawQuery) where decodedEquals(parameter.rawName, name) {
            result.append(parameter.value)
        }
        return result
    }

    /// Decodes `%XX` escapes once; `+` stays `+`; a broken escape stays as written.
    public static func percentDecode(_ text: Substring) -> String {
        guard text.utf8.contains(ASCII.percent) else { return String(text) }
        return ASCII.withBytes(text) { bytes in
            let decoded = [UInt8](unsafeUninitializedCapacity: bytes.count) { out, count in
                var i = 0
                var w = 0
                while i < bytes.count {
                    if bytes[i] == ASCII.percent, i + 2 < bytes.count,
                       let high = ASCII.hexValue(bytes[i + 1]), let low = ASCII.hexValue(bytes[i + 2]) {
                        out[w] = high << 4 | low
                        i += 3
                    } else {
                        out[w] = bytes[i]
                        i += 1
                    }
                    w += 1
                }
                count = w
            }
            return String(decoding: decoded, as: UTF8.self)
        }
    }

    /// Whether `raw`, percent-decoded, is exactly `name`, without allocating.
    static func decodedEquals(_ raw: Substring, _ name: String) -> Bool {
        ASCII.withBytes(raw) { r in
            ASCII.withBytes(name) { n in
                var i = 0
                var k = 0
                while i < r.count {
                    var byte = r[i]
                    if byte == ASCII.percent, i + 2 < r.count,
                       let high = ASCII.hexValue(r[i + 1]), let low = ASCII.hexValue(r[i + 2]) {
                        byte = high << 4 | low
                        i += 3
                    } else {
                        i += 1
                    }
                    guard k < n.count, n[k] == byte else { return false }
                    k += 1
                }
                return k == n.count
            }
        }
    }

    public struct Parameters: Sequence, Sendable {
        let query: Substring

        public func makeIterator() -> Iterator { Iterator(query: query, position: query.startIndex) }

        public struct Iterator: IteratorProtocol, Sendable {
            let query: Substring
            var position: Substring.Index

            public mutating func next() -> Parameter? {
                while let field = KeyValueField.next(in: query, from: &position, separator: ASCII.ampersand) {
                    if field.start == field.end { continue }
                    if let equals = field.equals {
                        return Parameter(rawName: query[field.start..<equals], rawValue: query[query.utf8.index(after: equals)..<field.end])
                    }
                    return Parameter(rawName: query[field.start..<field.end], rawValue: nil)
                }
                return nil
            }
        }
    }
}

/// Header lookups by name, compared ASCII case-insensitively. Nothing here allocates:
/// `values(named:in:)` is a lazy sequence over the headers as received.
public enum HeaderLookup {
    /// All values of the headers called `name`, in arrival order.
    public static func values(named name: String, in headers: [HTTPHeader]) -> Values {
        Values(name: name, headers: headers)
    }

    /// How many headers are called `name`.
    public static func count(named name: String, in headers: [HTTPHeader]) -> Int {
        var count = 0
        for header in headers where ASCII.equalsIgnoringCase(header.name, name) { count += 1 }
        return count
    }

    /// Whether two header names are the same name.
    public static func namesMatch(_ a: String, _ b: String) -> Bool {
        ASCII.equalsIgnoringCase(a, b)
    }

    public struct Values: Sequence, Sendable {
        let name: String
        let headers: [HTTPHeader]

        public func makeIterator() -> Iterator {
            Iterator(name: name, headers: headers, index: 0)
        }

        public struct Iterator: IteratorProtocol, Sendable {
            let name: String
            let headers: [HTTPHeader]
            var index: Int

            public mutating func next() -> String? {
                // Fields read in place: copying a header would retain both of its strings.
                while index < headers.count {
                    let current = index
                    index += 1
                    if ASCII.equalsIgnoringCase(headers[current].name, name) { return headers[current].value }
                }
                return nil
            }
        }
    }
}

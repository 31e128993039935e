/// The segments of a normalised path, first to last, as slices of it.
///
/// A view, not an array: normalising a request allocates nothing for it, and the path
/// trie reads each segment as it walks. Written as an array literal (`["a", "b"]`) it
/// stands for the path `/a/b`; two values are equal when their paths are.
public struct PathSegments: Sequence, Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The normalised path is `text`'s first `length` UTF-8 bytes: the request-target
    /// itself when only a query or fragment follows the path, so nothing is copied.
    @usableFromInline let text: String
    @usableFromInline let length: Int

    /// `path` must be normalised (as `PathNormalizer` makes it): it starts with `/` and
    /// has no empty segment.
    public init(path: String) {
        self.init(text: path, length: path.utf8.count)
    }

    init(text: String, length: Int) {
        self.text = text
        self.length = length
    }

    public init(arrayLiteral segments: Substring...) {
        self.init(path: "/" + segments.joined(separator: "/"))
    }

    /// The normalised path the segments are slices of.
    public var path: Substring { text[..<endIndex] }

    private var endIndex: String.Index { text.utf8.index(text.utf8.startIndex, offsetBy: length) }

    /// `/` has no segments.
    public var isEmpty: Bool { length <= 1 }

    public var count: Int {
        if isEmpty { return 0 }
        var slashes = 0
        for byte in path.utf8 where byte == ASCII.slash { slashes += 1 }
        return slashes
    }

    public var description: String { Array(self).description }

    public static func == (lhs: PathSegments, rhs: PathSegments) -> Bool {
        lhs.path.utf8.elementsEqual(rhs.path.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        for byte in path.utf8 { hasher.combine(byte) }
    }

    /// Calls `body` with the UTF-8 bytes of each segment in order, until it returns
    /// `false`; returns whether every segment was visited. The fastest way to walk a
    /// trie: no slice is made and nothing is retained per segment.
    @inlinable
    public func forEachSegmentUTF8(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows -> Bool {
        let length = self.length
        return try text.utf8.withContiguousStorageIfAvailable { bytes in
            try Self.forEach(in: UnsafeBufferPointer(rebasing: bytes[..<length]), body)
        } ?? {
            var copy = text
            return try copy.withUTF8 { bytes in try Self.forEach(in: UnsafeBufferPointer(rebasing: bytes[..<length]), body) }
        }()
    }

    @inlinable
    static func forEach(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows -> Bool {
        guard bytes.count > 1 else { return true }
        var start = 1
        for i in 1..<bytes.count where bytes[i] == 0x2F {
            guard try body(UnsafeBufferPointer(rebasing: bytes[start..<i])) else { return false }
            start = i + 1
        }
        return try body(UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    public func makeIterator() -> Iterator {
        let path = self.path
        let utf8 = path.utf8
        return Iterator(path: path, position: isEmpty ? utf8.endIndex : utf8.index(after: utf8.startIndex), done: isEmpty)
    }

    public struct Iterator: IteratorProtocol, Sendable {
        let path: Substring
        var position: String.Index
        var done: Bool

        public mutating func next() -> Substring? {
            if done { return nil }
            let utf8 = path.utf8
            let start = position
            var i = start
            while i < utf8.endIndex && utf8[i] != ASCII.slash { i = utf8.index(after: i) }
            if i < utf8.endIndex {
                position = utf8.index(after: i)
            } else {
                done = true
            }
            return path[start..<i]
        }
    }
}

/// The labels of a host name from the last to the first (`com`, `example`, `api`), as
/// slices of it: the order the domain trie is walked in.
///
/// A view, not an array: normalising a request allocates nothing for it. Written as an
/// array literal (`["com", "example"]`) it stands for `example.com`; two values are equal
/// when their names are.
///
/// The name is the first `length` bytes of `base`: for `api.example.com:443`, the request's
/// own host text with its port left out, so a name with a port is not copied either.
public struct HostLabels: Sequence, Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The string the name starts: the validated, lowercased name itself, or that name
    /// followed by a port.
    @usableFromInline let base: String
    /// The name's length in UTF-8 bytes.
    @usableFromInline let length: Int

    /// The validated, lowercased name the labels are slices of.
    public var name: String {
        length == base.utf8.count ? base : String(decoding: base.utf8.prefix(length), as: UTF8.self)
    }

    public init(name: String) {
        base = name
        length = name.utf8.count
    }

    /// The name that is the first `length` bytes of `base` (which go on with `:` and a port).
    init(base: String, length: Int) {
        self.base = base
        self.length = length
    }

    public init(arrayLiteral labelsReversed: Substring...) {
        self.init(name: labelsReversed.reversed().joined(separator: "."))
    }

    public static func == (lhs: HostLabels, rhs: HostLabels) -> Bool {
        lhs.length == rhs.length && lhs.base.utf8.prefix(lhs.length).elementsEqual(rhs.base.utf8.prefix(rhs.length))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        for byte in base.utf8.prefix(length) { hasher.combine(byte) }
    }

    public var count: Int {
        var dots = 0
        for byte in name.utf8 where byte == ASCII.dot { dots += 1 }
        return dots + 1
    }

    public var description: String { Array(self).description }

    /// Calls `body` with the UTF-8 bytes of each label from the last to the first, until
    /// it returns `false`; returns whether every label was visited. The fastest way to
    /// walk the domain trie: no slice is made and nothing is retained per label.
    @inlinable
    public func forEachLabelUTF8(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows -> Bool {
        try base.utf8.withContiguousStorageIfAvailable { bytes in
            try Self.forEach(in: UnsafeBufferPointer(rebasing: bytes[0..<length]), body)
        } ?? {
            var copy = base
            return try copy.withUTF8 { bytes in try Self.forEach(in: UnsafeBufferPointer(rebasing: bytes[0..<length]), body) }
        }()
    }

    @inlinable
    static func forEach(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows -> Bool {
        var end = bytes.count
        var i = end
        while i > 0 {
            i -= 1
            if bytes[i] == 0x2E {
                guard try body(UnsafeBufferPointer(rebasing: bytes[(i + 1)..<end])) else { return false }
                end = i
            }
        }
        return try body(UnsafeBufferPointer(rebasing: bytes[0..<end]))
    }

    public func makeIterator() -> Iterator {
        let name = self.name
        return Iterator(name: name, position: name.utf8.endIndex, done: name.isEmpty)
    }

    public struct Iterator: IteratorProtocol, Sendable {
        let name: String
        var position: String.Index
        var done: Bool

        public mutating func next() -> Substring? {
            if done { return nil }
            let utf8 = name.utf8
            let end = position
            var i = end
            while i > utf8.startIndex {
                let previous = utf8.index(before: i)
                if utf8[previous] == ASCII.dot {
                    position = previous
                    return name[i..<end]
                }
                i = previous
            }
            done = true
            return name[utf8.startIndex..<end]
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte equality of strings: the comparison claims, issuers and tokens need (never
/// Unicode canonical equivalence, under which `é` and `e` + U+0301 are equal).
public enum UTF8Bytes {
    /// Whether `a` and `b` have the same UTF-8 bytes: one `memcmp` on native strings.
    @inline(__always)
    public static func equal(_ a: String, _ b: String) -> Bool {
        let count = a.utf8.count
        guard count == b.utf8.count else { return false }
        if let result = a.utf8.withContiguousStorageIfAvailable({ x in
            b.utf8.withContiguousStorageIfAvailable { y in count == 0 || memcmp(x.baseAddress!, y.baseAddress!, count) == 0 }
        }), let result {
            return result
        }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// Whether `bytes` are the UTF-8 bytes of `text`.
    @inline(__always)
    public static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        let count = bytes.count
        guard count == text.utf8.count else { return false }
        guard count > 0 else { return true }
        if let result = text.utf8.withContiguousStorageIfAvailable({ memcmp(bytes.baseAddress!, $0.baseAddress!, count) == 0 }) {
            return result
        }
        return bytes.elementsEqual(text.utf8)
    }

    /// Runs `body` with the UTF-8 bytes of `text`, in place when its base string is
    /// contiguous. Through the base string with the slice's byte offsets: a `Substring`'s
    /// own contiguous view goes through a generic `Slice` and costs several times more.
    @inlinable
    public static func withBytes<R>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let utf8 = text.base.utf8
        let start = utf8.distance(from: utf8.startIndex, to: text.startIndex)
        let end = start + utf8.distance(from: text.startIndex, to: text.endIndex)
        if let result = try utf8.withContiguousStorageIfAvailable({ try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }) {
            return result
        }
        var copy = String(text)
        return try copy.withUTF8(body)
    }
}

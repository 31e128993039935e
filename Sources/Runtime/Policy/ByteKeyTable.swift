/// An immutable hash table from byte strings to node indices, built once at load time.
///
/// The hot path looks up path segments and host labels as raw UTF-8 bytes: no `String`
/// or `Substring` is made, and the hash is FNV-1a over the bytes (keys come from the
/// bundle, requests only probe). `lookupFoldingASCII` hashes and compares the bytes as
/// if lowercased, so a case-insensitive edge needs no lowercased copy of the segment.
///
/// The table lives in three buffers it allocates once and never changes (hence
/// `@unchecked Sendable`: nothing is written after `init`). A lookup reads them through raw
/// pointers, so walking a domain or a path costs no reference counting: Swift arrays held
/// by a class are retained and released around each read, and on a policy shared by every
/// thread each of those is a write to a cache line all cores read.
final class ByteKeyTable: @unchecked Sendable {
    private struct Key {
        let start: Int
        let length: Int
        let value: UInt32
    }

    /// Open addressing, linear probing: an index into `keys`, or -1 for an empty slot.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let mask: Int
    private let keys: UnsafeMutableBufferPointer<Key>
    /// Every key's bytes, back to back.
    private let storage: UnsafeMutableBufferPointer<UInt8>

    var isEmpty: Bool { keys.isEmpty }

    init(_ entries: [(key: String, value: UInt32)]) {
        var bytes: [UInt8] = []
        var keys: [Key] = []
        for (key, value) in entries {
            keys.append(Key(start: bytes.count, length: key.utf8.count, value: value))
            bytes.append(contentsOf: key.utf8)
        }
        var capacity = 4
        while capacity < entries.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: entries.isEmpty ? 0 : capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { buffer in
            for (index, key) in keys.enumerated() {
                var slot = Int(truncatingIfNeeded: Self.hash(UnsafeBufferPointer(rebasing: buffer[key.start..<(key.start + key.length)]), fold: false)) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(index)
            }
        }
        self.mask = mask
        self.slots = .allocate(capacity: slots.count)
        _ = self.slots.initialize(from: slots)
        self.keys = .allocate(capacity: keys.count)
        _ = self.keys.initialize(from: keys)
        self.storage = .allocate(capacity: bytes.count)
        _ = self.storage.initialize(from: bytes)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
        storage.deallocate()
    }

    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> UInt32? {
        find(key, fold: false)
    }

    /// The value of the key equal to `key` lowercased in ASCII (keys must be lowercase).
    @inline(__always)
    func lookupFoldingASCII(_ key: UnsafeBufferPointer<UInt8>) -> UInt32? {
        find(key, fold: true)
    }

    private func find(_ key: UnsafeBufferPointer<UInt8>, fold: Bool) -> UInt32? {
        guard !keys.isEmpty else { return nil }
        var slot = Int(truncatingIfNeeded: Self.hash(key, fold: fold)) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            let candidate = keys[index]
            if candidate.length == key.count, Self.equal(UnsafeBufferPointer(storage), from: candidate.start, key, fold: fold) {
                return candidate.value
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, fold: Bool) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(fold ? lower(byte) : byte)) &* 0x0000_0100_0000_01B3
        }
        return hash ^ (hash >> 29)
    }

    @inline(__always)
    private static func equal(_ stored: UnsafeBufferPointer<UInt8>, from start: Int, _ key: UnsafeBufferPointer<UInt8>, fold: Bool) -> Bool {
        for offset in 0..<key.count where stored[start + offset] != (fold ? lower(key[offset]) : key[offset]) {
            return false
        }
        return true
    }
}

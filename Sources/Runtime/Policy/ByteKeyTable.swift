/// An immutable hash table from byte strings to node indices, built once at load time.
///
/// The hot path looks up path segments and host labels as raw UTF-8 bytes: no `String`
/// or `Substring` is made, and the hash is FNV-1a over the bytes (keys come from the
/// bundle, requests only probe). `lookupFoldingASCII` hashes and compares the bytes as
/// if lowercased, so a case-insensitive edge needs no lowercased copy of the segment.
final class ByteKeyTable: Sendable {
    private let slots: [Int32]
    private let mask: Int
    private let storage: [UInt8]
    private let starts: [Int]
    private let lengths: [Int]
    private let values: [UInt32]

    var isEmpty: Bool { values.isEmpty }

    init(_ entries: [(key: String, value: UInt32)]) {
        var storage: [UInt8] = []
        var starts: [Int] = [], lengths: [Int] = [], values: [UInt32] = []
        for (key, value) in entries {
            starts.append(storage.count)
            storage.append(contentsOf: key.utf8)
            lengths.append(key.utf8.count)
            values.append(value)
        }
        var capacity = 4
        while capacity < entries.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: entries.isEmpty ? 0 : capacity)
        let mask = capacity - 1
        for index in 0..<values.count {
            var slot = storage.withUnsafeBufferPointer { buffer in
                Int(truncatingIfNeeded: Self.hash(UnsafeBufferPointer(rebasing: buffer[starts[index]..<(starts[index] + lengths[index])]), fold: false))
            } & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
        self.slots = slots
        self.mask = mask
        self.storage = storage
        self.starts = starts
        self.lengths = lengths
        self.values = values
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
        guard !values.isEmpty else { return nil }
        var slot = Int(truncatingIfNeeded: Self.hash(key, fold: fold)) & mask
        return storage.withUnsafeBufferPointer { stored in
            while true {
                let index = Int(slots[slot])
                if index < 0 { return nil }
                if lengths[index] == key.count, Self.equal(stored, from: starts[index], key, fold: fold) { return values[index] }
                slot = (slot + 1) & mask
            }
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

/// A seeded 64-bit hash of a token's bytes that picks its place in the verified-token
/// cache: three independent multiply-fold lanes over 48-byte blocks (the structure of
/// wyhash), so a 1 KiB token costs about 20 multiplications.
///
/// Not a cryptographic hash and not needed to be: a hit is confirmed by comparing the
/// whole token, so a collision costs only a comparison. The seed is random per cache, so
/// a client cannot aim its tokens at one set; and only tokens that verified are cached.
enum TokenHash {
    static let p0: UInt64 = 0xA076_1D64_78BD_642F
    static let p1: UInt64 = 0xE703_7ED1_A0B4_28DB
    static let p2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
    static let p3: UInt64 = 0x5899_65CC_7537_4CC3

    /// Multiplies to 128 bits and folds the halves together.
    @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return fold(seed ^ p0, p1) }
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        var state = seed ^ fold(seed ^ p0, p1)
        var a: UInt64 = 0, b: UInt64 = 0
        var index = 0
        if count > 16 {
            if count > 48 {
                var lane1 = state, lane2 = state
                while index + 48 < count {
                    state = fold(word(index) ^ p1, word(index + 8) ^ state)
                    lane1 = fold(word(index + 16) ^ p2, word(index + 24) ^ lane1)
                    lane2 = fold(word(index + 32) ^ p3, word(index + 40) ^ lane2)
                    index += 48
                }
                state ^= lane1 ^ lane2
            }
            while index + 16 < count {
                state = fold(word(index) ^ p1, word(index + 8) ^ state)
                index += 16
            }
            // The last 16 bytes, overlapping what came before when the length is not a multiple.
            a = word(count - 16)
            b = word(count - 8)
        } else {
            // Up to 16 bytes, little-endian into two words.
            for offset in 0..<count {
                let byte = UInt64(base.load(fromByteOffset: offset, as: UInt8.self))
                if offset < 8 { a |= byte << UInt64(8 * offset) } else { b |= byte << UInt64(8 * (offset - 8)) }
            }
        }
        return fold(p1 ^ UInt64(count), fold(a ^ p1, b ^ state))
    }
}

import JOSE

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the verified-token cache has done since it was made, for metrics. The counters
/// only grow; `entries` is the number of results held now, at most `capacity`.
public struct TokenCacheStatistics: Sendable, Hashable {
    /// Lookups that found a result verified under the entry's current keys.
    public var hits: UInt64
    /// Lookups of tokens small enough to cache that found none.
    public var misses: UInt64
    /// Results dropped to make room for another.
    public var evictions: UInt64
    /// Results held now (including those of policies no longer in use, until evicted).
    public var entries: Int
    /// How many results it can hold; 0 when the cache is off.
    public var capacity: Int

    public init(hits: UInt64 = 0, misses: UInt64 = 0, evictions: UInt64 = 0, entries: Int = 0, capacity: Int = 0) {
        self.hits = hits
        self.misses = misses
        self.evictions = evictions
        self.entries = entries
        self.capacity = capacity
    }
}

/// A bounded cache of signature verifications: a token that verified under an entry's
/// key-set generation, kept with its parsed header and claims, so the same token again
/// skips parsing and the signature. Everything else (time claims, issuer, subject,
/// audience, claim requirements, the request's own steps) runs on every decision.
///
/// The key is the whole token (a seeded hash picks the set; the bytes are compared in
/// full), the policy instance, the entry and the key-set generation: a new generation or
/// another policy never meets an old result. Only successes are stored, only tokens of at
/// most `maxTokenBytes`.
///
/// Set-associative (4 ways per set, least recently used out), in up to 64 shards with one
/// lock each (`Locked`, as every lock of the runtime): threads contend only when their
/// tokens fall in the same shard. A result
/// holds the token (at most 4 KiB), its decoded segments (about ¾ of that), its parsed
/// header and its claims' names, so the memory bound is `capacity` × a few times 4 KiB.
final class VerifiedTokenCache: Sendable {
    /// Tokens longer than this are never cached.
    static let maxTokenBytes = 4096
    /// The most top-level claims a cached token may have; typical tokens have 5 to 20. (A
    /// token keeps its claims' names and where their values are; a value is read in place
    /// when asked for, so nested members and array elements take no memory of their own.)
    static let maxClaims = 256

    static let defaultCapacity = 10_000
    static let maxShards = 64

    /// What a lookup found: the parsed token and what it was verified under.
    struct Hit {
        let token: JWSToken
        let entry: Int
        let generation: UInt64
    }

    /// Slots in all: the requested capacity, rounded down to whole sets in every shard.
    let capacity: Int
    private let ways: Int
    private let setCount: Int
    private let shards: [Locked<ShardState>]
    private let seed: UInt64

    /// A cache of at most `capacity` results; nil when `capacity` is 0 or less (off).
    init?(capacity requested: Int, seed: UInt64 = UInt64.random(in: .min ... .max)) {
        guard requested > 0 else { return nil }
        let ways = min(4, requested)
        let sets = requested / ways
        let shardCount = min(Self.maxShards, sets)
        let setsPerShard = sets / shardCount
        self.ways = ways
        setCount = shardCount * setsPerShard
        capacity = setCount * ways
        self.seed = seed
        shards = (0..<shardCount).map { _ in Locked(ShardState(slotCount: setsPerShard * ways)) }
    }

    /// The result for `token` whose entry and generation `accept` takes, if one is held.
    func lookup(_ token: some StringProtocol, policy: UInt64, accept: (_ entry: Int, _ generation: UInt64) -> Bool) -> Hit? {
        if let found = token.utf8.withContiguousStorageIfAvailable({ lookup(bytes: $0, policy: policy, accept: accept) }) {
            return found
        }
        var copy = String(token)
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable { lookup(bytes: $0, policy: policy, accept: accept) } ?? nil
    }

    /// ``lookup(_:policy:accept:)`` of a token that is a slice of a header value (the
    /// decision path), read in place through its base string.
    func lookup(_ token: Substring, policy: UInt64, accept: (_ entry: Int, _ generation: UInt64) -> Bool) -> Hit? {
        ASCII.withBytes(token) { lookup(bytes: $0, policy: policy, accept: accept) }
    }

    private func lookup(bytes: UnsafeBufferPointer<UInt8>, policy: UInt64, accept: (Int, UInt64) -> Bool) -> Hit? {
        guard bytes.count <= Self.maxTokenBytes else { return nil }
        let hash = TokenHash.hash(UnsafeRawBufferPointer(bytes), seed: seed)
        let (shard, first) = place(hash)
        return shards[shard].withLock { state in
            state.lookup(bytes, hash: hash, first: first, ways: ways, policy: policy, accept: accept)
        }
    }

    /// Keeps `token`, verified under `entry`'s key-set `generation` of policy `policy`. A
    /// result for the same token, policy and entry is replaced; else a free slot of its set
    /// is used; else the least recently used is evicted.
    func insert(_ token: JWSToken, policy: UInt64, entry: Int, generation: UInt64) {
        // A claim costs about 80 bytes however short it is, so a 4 KiB token of tiny claims
        // (`"a":0,"b":0,…`) would hold ~50 KiB: such tokens are verified every time.
        guard token.claimCount <= Self.maxClaims, token.compactLength <= Self.maxTokenBytes else { return }
        // Its own text: the token read in place still holds the request header it came from.
        let token = token.detached()
        var compact = token.compact
        compact.makeContiguousUTF8()
        let dropped: JWSToken?? = compact.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count <= Self.maxTokenBytes else { return nil }
            let hash = TokenHash.hash(UnsafeRawBufferPointer(bytes), seed: seed)
            let (shard, first) = place(hash)
            let slot = Slot(hash: hash, policy: policy, generation: generation, entry: entry, lastUse: 0, token: token, compact: compact)
            return shards[shard].withLock { state in
                state.insert(slot, bytes: bytes, first: first, ways: ways)
            }
        }
        // The evicted token, if any, is released here, outside the lock.
        _ = dropped
    }

    /// The counters and the number of results, summed over the shards.
    var statistics: TokenCacheStatistics {
        var total = TokenCacheStatistics(capacity: capacity)
        for shard in shards {
            shard.withLock { state in
                total.hits &+= state.hits
                total.misses &+= state.misses
                total.evictions &+= state.evictions
                total.entries += state.entries
            }
        }
        return total
    }

    /// The shard and the index of the first slot of the set that `hash` picks.
    @inline(__always)
    private func place(_ hash: UInt64) -> (shard: Int, first: Int) {
        let set = Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(setCount)).high)
        return (set % shards.count, (set / shards.count) * ways)
    }
}

/// One cached result, or an empty slot (`token` nil).
struct Slot {
    var hash: UInt64 = 0
    var policy: UInt64 = 0
    var generation: UInt64 = 0
    var entry: Int = -1
    /// The shard's use counter when the slot was last filled or hit.
    var lastUse: UInt64 = 0
    var token: JWSToken?

    /// The token's bytes (its `compact`), held apart so a comparison copies no token.
    var compact = ""

    /// Whether `compact` is exactly these token bytes.
    @inline(__always)
    static func same(_ compact: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let held = compact.utf8
        guard held.count == bytes.count else { return false }
        return held.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 } ?? false
    }
}

/// One shard: a run of sets, behind one lock.
struct ShardState {
    /// Empty until the first insert, so an unused cache costs next to nothing.
    var slots: [Slot] = []
    let slotCount: Int
    var uses: UInt64 = 0
    var hits: UInt64 = 0
    var misses: UInt64 = 0
    var evictions: UInt64 = 0
    var entries = 0

    init(slotCount: Int) {
        self.slotCount = slotCount
    }

    mutating func lookup(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64, first: Int, ways: Int, policy: UInt64,
                         accept: (Int, UInt64) -> Bool) -> VerifiedTokenCache.Hit? {
        // Fields are read in place: copying a slot would retain every part of its token.
        for index in first..<(slots.isEmpty ? first : first + ways) {
            guard slots[index].hash == hash, slots[index].policy == policy, Slot.same(slots[index].compact, bytes),
                  accept(slots[index].entry, slots[index].generation), let token = slots[index].token else { continue }
            uses &+= 1
            slots[index].lastUse = uses
            hits &+= 1
            return VerifiedTokenCache.Hit(token: token, entry: slots[index].entry, generation: slots[index].generation)
        }
        misses &+= 1
        return nil
    }

    /// Stores `slot` and returns the token it displaced, to be released outside the lock.
    mutating func insert(_ new: Slot, bytes: UnsafeBufferPointer<UInt8>, first: Int, ways: Int) -> JWSToken? {
        if slots.isEmpty { slots = Array(repeating: Slot(), count: slotCount) }
        var target = -1
        var oldest = first
        for index in first..<(first + ways) {
            if slots[index].token == nil {
                if target < 0 { target = index }
                continue
            }
            if slots[index].hash == new.hash, slots[index].policy == new.policy, slots[index].entry == new.entry,
               Slot.same(slots[index].compact, bytes) {
                target = index
                break
            }
            if slots[index].lastUse < slots[oldest].lastUse { oldest = index }
        }
        if target < 0 {
            target = oldest
            evictions &+= 1
        } else if slots[target].token == nil {
            entries += 1
        }
        uses &+= 1
        let displaced = slots[target].token
        slots[target] = new
        slots[target].lastUse = uses
        return displaced
    }
}

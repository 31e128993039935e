import Atomics
import JOSE

/// One immutable key set of one entry, with the verifier built on it. A decision loads
/// the entry's generation once and uses it from start to end; a refresh installs a new
/// generation instead of changing this one.
final class KeySetGeneration: Sendable, AtomicReference {
    /// Unique in the process: a result verified under one generation never stands for
    /// another (the verified-token cache keys on it).
    let number: UInt64
    let verifier: JWTVerifier
    /// The RFC 7638 thumbprints of the keys, sorted: equal sets have equal lists.
    let thumbprints: [String]

    init(verifier: JWTVerifier) {
        number = KeySetGeneration.counter.loadThenWrappingIncrement(ordering: .relaxed) &+ 1
        self.verifier = verifier
        thumbprints = verifier.keys.keys.map(\.jwk.thumbprint).sorted()
    }

    private static let counter = ManagedAtomic<UInt64>(0)

    /// The verifier's `verify` and `recheckTime`, called through the generation so the
    /// verifier is borrowed in place rather than copied (a copy retains every member).
    @inline(__always)
    func verify(_ token: JWSToken, now: Double) -> VerificationResult { verifier.verify(token, now: now) }

    @inline(__always)
    func recheckTime(_ token: JWSToken, now: Double) -> VerificationResult { verifier.recheckTime(token, now: now) }
}

/// The keys of an entry: fixed when they are in the bundle; replaceable (an atomic
/// reference to the current generation and the moment it goes stale) when they come from
/// an identity provider.
enum EntryKeys: Sendable {
    case fixed(KeySetGeneration)
    case remote(RemoteEntryKeys)

    /// The generation to decide with, and the moment past which it must not be used (nil:
    /// never stale). Lock-free: one atomic reference load and one atomic integer load.
    @inline(__always)
    func current() -> (generation: KeySetGeneration, usableUntil: Double?) {
        switch self {
        case .fixed(let generation): (generation, nil)
        case .remote(let keys): (keys.generation.load(ordering: .acquiring), keys.usableUntil)
        }
    }

    /// The number of the current generation (the verified-token cache's check), read
    /// without taking a reference to fixed keys' generation.
    @inline(__always)
    func currentNumber() -> UInt64 {
        switch self {
        case .fixed(let generation): generation.number
        case .remote(let keys): keys.generation.load(ordering: .acquiring).number
        }
    }
}

/// The replaceable keys of an entry with `jwksUri` or `discovery`.
final class RemoteEntryKeys: Sendable {
    let generation: ManagedAtomic<KeySetGeneration>
    /// `usableUntil` as the bit pattern of a Double: `maxStale` after the last successful
    /// fetch (a 200 or a 304), -infinity while the entry has never had keys.
    private let usableUntilBits: ManagedAtomic<UInt64>
    /// When the set in use was last confirmed by a fetch (seconds since the epoch), as bits; NaN: never.
    private let confirmedAtBits: ManagedAtomic<UInt64>
    let maxStale: Double

    init(initial: KeySetGeneration, fetchedAt: Double?, maxStale: Double) {
        generation = ManagedAtomic(initial)
        self.maxStale = maxStale
        usableUntilBits = ManagedAtomic((fetchedAt.map { $0 + maxStale } ?? -Double.infinity).bitPattern)
        confirmedAtBits = ManagedAtomic((fetchedAt ?? Double.nan).bitPattern)
    }

    var usableUntil: Double { Double(bitPattern: usableUntilBits.load(ordering: .acquiring)) }

    /// When the set in use was last confirmed by a fetch; nil if it never was.
    var confirmedAt: Double? {
        let value = Double(bitPattern: confirmedAtBits.load(ordering: .acquiring))
        return value.isNaN ? nil : value
    }

    /// Installs a new generation confirmed at `time`. The generation is stored before the
    /// deadline, so a reader that sees the new deadline sees the new keys too.
    func install(_ new: KeySetGeneration, confirmedAt time: Double) {
        generation.store(new, ordering: .releasing)
        confirm(at: time)
    }

    /// A fetch confirmed the set in use (a 304, or the same keys again).
    func confirm(at time: Double) {
        // Never move the deadline back (an older fetch finishing late).
        let previous = confirmedAt ?? -Double.infinity
        guard time > previous else { return }
        confirmedAtBits.store(time.bitPattern, ordering: .releasing)
        usableUntilBits.store((time + maxStale).bitPattern, ordering: .releasing)
    }
}

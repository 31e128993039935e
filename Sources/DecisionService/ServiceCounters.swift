import Synchronization

/// Counts what the service decided and refused, across transports (metrics come later;
/// the admin endpoint and the logs read these).
public final class ServiceCounters: Sendable {
    private let allowedCount = Atomic<Int>(0)
    private let deniedCount = Atomic<Int>(0)
    private let badInputCount = Atomic<Int>(0)
    private let unavailableCount = Atomic<Int>(0)

    public init() {}

    public var allowed: Int { allowedCount.load(ordering: .relaxed) }
    public var denied: Int { deniedCount.load(ordering: .relaxed) }
    /// Requests refused before a decision: malformed, oversized, missing attributes, untrusted peers.
    public var badInput: Int { badInputCount.load(ordering: .relaxed) }
    /// Requests answered "unavailable" because no bundle was active.
    public var unavailable: Int { unavailableCount.load(ordering: .relaxed) }

    func countAllowed() { allowedCount.add(1, ordering: .relaxed) }
    func countDenied() { deniedCount.add(1, ordering: .relaxed) }
    func countBadInput() { badInputCount.add(1, ordering: .relaxed) }
    func countUnavailable() { unavailableCount.add(1, ordering: .relaxed) }
}

public import Logging
public import Runtime
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one decision core behind every transport: holds the active policy, decides
/// requests with it, maps the decision to a `ServiceResponse`, and counts and logs bad
/// input. Transports only translate wire requests and responses; none decides anything.
public final class DecisionCore: Sendable {
    /// What a transport gets back.
    public enum Outcome: Sendable, Equatable {
        case decided(ServiceResponse)
        /// No bundle is active (or an internal failure): the transport answers "unavailable"
        /// so the gateway applies its own failure mode; never an allow.
        case unavailable
    }

    public let holder: PolicyHolder
    public let counters: ServiceCounters
    /// Handler latency per transport, for the admin listener's `/stats`.
    public let latency: ServiceLatency
    /// Prometheus metrics, for the admin listener's `/metrics`.
    public let metrics: ServiceMetrics
    /// Decision logs, when configured.
    public let decisionLog: DecisionLog?
    /// Keeps the keys of `jwksUri`/`discovery` entries fresh, when the bundle has any.
    public let keys: KeyRefresher?
    let logger: Logger
    let clock: @Sendable () -> Double
    private let draining = Atomic<Bool>(false)

    public init(holder: PolicyHolder, logger: Logger, metrics: ServiceMetrics = ServiceMetrics(), decisionLog: DecisionLog? = nil,
                keys: KeyRefresher? = nil, clock: @escaping @Sendable () -> Double = DecisionCore.wallClock) {
        self.holder = holder
        self.keys = keys
        self.logger = logger
        self.metrics = metrics
        self.decisionLog = decisionLog
        self.clock = clock
        counters = ServiceCounters()
        latency = ServiceLatency(metrics: metrics)
    }

    /// Ready: a bundle is active, its remote key sets are usable (see
    /// `KeyRefresher.keysReady`), and the service is not shutting down. `/readyz`, the gRPC
    /// health service and the `gatepass_ready` metric read this.
    public var isReady: Bool {
        guard !isDraining, let policy = holder.current else { return false }
        return keys?.keysReady(policy, now: clock()) ?? true
    }

    /// True once shutdown began: readiness turns false first, so load balancers stop
    /// sending new requests while the in-flight ones finish.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Turns readiness false for good (shutdown has begun).
    public func beginDraining() {
        draining.store(true, ordering: .releasing)
        metrics.setReady(false)
        logger.notice("shutting down: readiness is now false")
    }

    /// Called after each activation, so the ready metric follows.
    public func refreshReadiness() {
        metrics.setReady(isReady)
    }

    /// Seconds since the epoch, from the system clock.
    public static let wallClock: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The revision in use, if a bundle is active.
    public var revision: String? { holder.revision }

    /// Decides `request` with the active policy. `transport` names the listener in logs.
    public func decide(_ request: HTTPRequest, transport: String) -> Outcome {
        guard let policy = holder.current else { return unavailable(transport) }
        let (decision, now, elapsed) = evaluate(request, policy)
        return finish(decision, request: request, policy: policy, transport: transport, now: now, nanoseconds: elapsed)
    }

    /// What a transport that can wait gets: the answer now, or work to await (a token
    /// whose key the identity provider's set does not hold yet, while a refetch runs).
    public enum Attempt: Sendable {
        case done(Outcome)
        case waiting(@Sendable () async -> Outcome)
    }

    /// As `decide`, but a token denied `unknown_key` by an entry with remote keys claims one
    /// single-flight refetch of that set (unless its cooldown forbids it, which answers at
    /// once) and waits for it at most the refetch budget; if it ends in time, the request is
    /// decided again with the keys it installed. Only the final decision is counted.
    public func attempt(_ request: HTTPRequest, transport: String) -> Attempt {
        guard let policy = holder.current else { return .done(unavailable(transport)) }
        let (decision, now, elapsed) = evaluate(request, policy)
        guard let url = refetchURL(decision, policy), let keys, let refetch = keys.claimRefetch(url: url) else {
            return .done(finish(decision, request: request, policy: policy, transport: transport, now: now, nanoseconds: elapsed))
        }
        return .waiting { [self] in
            guard await keys.wait(for: refetch), let current = holder.current else {
                return finish(decision, request: request, policy: policy, transport: transport, now: now, nanoseconds: elapsed)
            }
            let again = evaluate(request, current)
            return finish(again.decision, request: request, policy: current, transport: transport, now: again.now,
                          nanoseconds: elapsed &+ again.nanoseconds)
        }
    }

    /// `attempt`, awaited.
    public func decideWaitingForKeys(_ request: HTTPRequest, transport: String) async -> Outcome {
        switch attempt(request, transport: transport) {
        case .done(let outcome): return outcome
        case .waiting(let work): return await work()
        }
    }

    /// The key set URL to refetch for a denial, if it is one an unknown key caused.
    public func refetchURL(_ decision: Decision, _ policy: LoadedPolicy) -> String? {
        guard keys != nil, decision.reason == .unknownKey, let entry = decision.authentication else { return nil }
        return policy.remoteKeySource(ofEntry: entry)?.url
    }

    func unavailable(_ transport: String) -> Outcome {
        counters.countUnavailable()
        metrics.countUnavailable(transport: transport)
        logger.warning("no bundle active: answering unavailable", metadata: ["transport": "\(transport)"])
        return .unavailable
    }

    func evaluate(_ request: HTTPRequest, _ policy: LoadedPolicy) -> (decision: Decision, now: Double, nanoseconds: Int) {
        let start = LatencyRecorder.now()
        let now = clock()
        let decision = policy.decide(request, now: now)
        return (decision, now, Int(clamping: LatencyRecorder.now() &- start))
    }

    func finish(_ decision: Decision, request: HTTPRequest, policy: LoadedPolicy, transport: String, now: Double, nanoseconds elapsed: Int) -> Outcome {
        if decision.isAllowed { counters.countAllowed() } else { counters.countDenied() }
        metrics.countDecision(transport: transport, allowed: decision.isAllowed, reason: decision.reason,
                              entry: decision.authentication, nanoseconds: elapsed)
        decisionLog?.log(decision, request: request, revision: policy.revision, transport: transport, time: now,
                         latencyNanoseconds: elapsed)
        // Details (which may name claims and entries) at debug level only; never the token.
        logger.debug("decision", metadata: [
            "transport": "\(transport)", "status": "\(decision.status)", "reason": "\(decision.reason.rawValue)",
            "authentication": "\(decision.authentication ?? "-")", "detail": "\(decision.message)",
        ])
        return .decided(ServiceResponse(decision, request: request, revision: policy.revision))
    }

    /// Counts and logs input refused before any decision, and returns the 400 denial.
    /// `problem` is a fixed description; it never carries request bytes.
    public func refuse(_ problem: String, transport: String) -> ServiceResponse {
        counters.countBadInput()
        metrics.countBadInput(transport: transport)
        logger.info("bad input refused", metadata: ["transport": "\(transport)", "problem": "\(problem)"])
        return .badInput
    }
}

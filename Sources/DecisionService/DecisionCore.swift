public import Logging
public import Runtime

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
    let logger: Logger
    let clock: @Sendable () -> Double

    public init(holder: PolicyHolder, logger: Logger, clock: @escaping @Sendable () -> Double = DecisionCore.wallClock) {
        self.holder = holder
        self.logger = logger
        self.clock = clock
        counters = ServiceCounters()
        latency = ServiceLatency()
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
        guard let policy = holder.current else {
            counters.countUnavailable()
            logger.warning("no bundle active: answering unavailable", metadata: ["transport": "\(transport)"])
            return .unavailable
        }
        let decision = policy.decide(request, now: clock())
        if decision.isAllowed { counters.countAllowed() } else { counters.countDenied() }
        // Details (which may name claims and entries) at debug level only; never the token.
        logger.debug("decision", metadata: [
            "transport": "\(transport)", "status": "\(decision.status)", "reason": "\(decision.reason.rawValue)",
            "authentication": "\(decision.authentication ?? "-")", "detail": "\(decision.message)",
        ])
        return .decided(ServiceResponse(decision, request: request))
    }

    /// Counts and logs input refused before any decision, and returns the 400 denial.
    /// `problem` is a fixed description; it never carries request bytes.
    public func refuse(_ problem: String, transport: String) -> ServiceResponse {
        counters.countBadInput()
        logger.info("bad input refused", metadata: ["transport": "\(transport)", "problem": "\(problem)"])
        return .badInput
    }
}

import Metrics
public import Prometheus
import Runtime

/// The service's metrics, recorded through swift-metrics into a Prometheus registry that
/// the admin listener's `GET /metrics` renders in the Prometheus text format.
///
/// Every label value comes from a small fixed set or from the active bundle (entry names):
/// never a subject, a path, a header or a token. The list is in docs/deployment.md.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Microsecond-range buckets, from 5 µs to 100 ms.
    public static let durationBuckets: [Duration] = [
        .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(100),
    ]

    /// The reason classes of a failed bundle activation (`fetch` is a source that could not
    /// be read; the others are `PolicyLoadError.Kind`).
    public static let failureClasses = ["fetch"] + PolicyLoadError.Kind.allCases.map(\.rawValue)

    struct DecisionKey: Hashable {
        let transport: String
        let allowed: Bool
        let reason: Decision.Reason
        let entry: String
    }

    private let decisions: Locked<[DecisionKey: Metrics.Counter]>
    private let badInput: [String: Metrics.Counter]
    private let unavailable: [String: Metrics.Counter]
    private let decisionDuration: [String: Metrics.Timer]
    private let requestDuration: [String: Metrics.Timer]
    private let activationsOK: Metrics.Counter
    private let activationsFailed: Metrics.Counter
    private let lastActivation: Prometheus.Gauge
    private let lastFailure: Prometheus.Gauge
    private let failureClass: [String: Prometheus.Gauge]
    private let revisionInfo: Locked<(revision: String, gauge: Prometheus.Gauge)?>
    private let ready: Prometheus.Gauge
    private let tokenCache: Locked<TokenCacheSeries>
    let logLines: Metrics.Counter
    let logDropped: Metrics.Counter

    public static let transports = ["grpc", "http", "forward-auth"]
    /// False: per-request series (decisions, durations, bad input) are not recorded
    /// (`gatepassd --no-metrics`, to measure what recording costs).
    let recordsRequests: Bool

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), recordsRequests: Bool = true) {
        self.registry = registry
        self.recordsRequests = recordsRequests
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "gatepass", metricName: metric, unitName: unit, helpText: help)
        }
        func counter(_ descriptor: MetricNameDescriptor, _ labels: [(String, String)] = []) -> Metrics.Counter {
            Metrics.Counter(label: descriptor.name, dimensions: labels, handler: registry.makeCounter(descriptor: descriptor, labels: labels))
        }
        func timer(_ descriptor: MetricNameDescriptor, _ labels: [(String, String)]) -> Metrics.Timer {
            Metrics.Timer(label: descriptor.name, dimensions: labels,
                          handler: registry.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: Self.durationBuckets))
        }
        let badInputName = name("bad_input", "total", "Requests refused before a decision (malformed, oversized, missing attributes, untrusted peer), by transport.")
        let unavailableName = name("unavailable", "total", "Requests answered unavailable because no bundle was active, by transport.")
        let decisionName = name("decision_duration", "seconds", "Time to decide one request with the active bundle, by transport.")
        let requestName = name("request_duration", "seconds", "Time from request received to response handed to the transport, by transport.")
        var badInput: [String: Metrics.Counter] = [:], unavailable: [String: Metrics.Counter] = [:]
        var decisionDuration: [String: Metrics.Timer] = [:], requestDuration: [String: Metrics.Timer] = [:]
        for transport in Self.transports {
            badInput[transport] = counter(badInputName, [("transport", transport)])
            unavailable[transport] = counter(unavailableName, [("transport", transport)])
            decisionDuration[transport] = timer(decisionName, [("transport", transport)])
            requestDuration[transport] = timer(requestName, [("transport", transport)])
        }
        self.badInput = badInput
        self.unavailable = unavailable
        self.decisionDuration = decisionDuration
        self.requestDuration = requestDuration
        let activations = name("bundle_activations", "total", "Bundle activations by result: ok, or error (the last good bundle kept serving).")
        activationsOK = counter(activations, [("result", "ok")])
        activationsFailed = counter(activations, [("result", "error")])
        lastActivation = registry.makeGauge(descriptor: name("bundle_last_activation", "timestamp_seconds",
                                                             "Unix time of the last successful bundle activation."), labels: [])
        lastFailure = registry.makeGauge(descriptor: name("bundle_last_failure", "timestamp_seconds",
                                                          "Unix time of the last failed bundle activation (0: none)."), labels: [])
        let classes = name("bundle_last_failure_reason", "", "1 for the reason class of the last failed bundle activation, else 0.")
        var failureClass: [String: Prometheus.Gauge] = [:]
        for reason in Self.failureClasses {
            failureClass[reason] = registry.makeGauge(descriptor: classes, labels: [("reason", reason)])
        }
        self.failureClass = failureClass
        revisionInfo = Locked(nil)
        ready = registry.makeGauge(descriptor: name("ready", "", "1 while the service is ready (a bundle is active, not shutting down)."), labels: [])
        logLines = counter(name("decision_log_lines", "total", "Decision log lines written."))
        logDropped = counter(name("decision_log_dropped", "total", "Decision log lines dropped because the log buffer was full."))
        decisions = Locked([:])
        tokenCache = Locked(TokenCacheSeries(
            hits: registry.makeCounter(descriptor: name("token_cache_hits", "total", "Decisions whose token was found verified in the verified-token cache (parsing and signature skipped)."), labels: []),
            misses: registry.makeCounter(descriptor: name("token_cache_misses", "total", "Tokens small enough to cache that were not found in it."), labels: []),
            evictions: registry.makeCounter(descriptor: name("token_cache_evictions", "total", "Verified tokens dropped from the cache to make room."), labels: []),
            entries: registry.makeGauge(descriptor: name("token_cache_entries", "", "Verified tokens held in the cache."), labels: []),
            capacity: registry.makeGauge(descriptor: name("token_cache_capacity", "", "How many verified tokens the cache can hold (0: off)."), labels: [])))
    }

    struct TokenCacheSeries {
        let hits: Prometheus.Counter
        let misses: Prometheus.Counter
        let evictions: Prometheus.Counter
        let entries: Prometheus.Gauge
        let capacity: Prometheus.Gauge
        var seen = TokenCacheStatistics()
    }

    static var decisionsName: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "gatepass", metricName: "decisions", unitName: "total",
                             helpText: "Decisions by transport, outcome (allow or deny), reason and entry (none when no entry was selected).")
    }

    /// Counts one decision. `entry` is the entry that decided, from the bundle.
    func countDecision(transport: String, allowed: Bool, reason: Decision.Reason, entry: String?, nanoseconds: Int) {
        guard recordsRequests else { return }
        let key = DecisionKey(transport: transport, allowed: allowed, reason: reason, entry: entry ?? "none")
        let counter = decisions.withLock { table -> Metrics.Counter in
            if let counter = table[key] { return counter }
            let labels = [("transport", key.transport), ("outcome", allowed ? "allow" : "deny"), ("reason", reason.rawValue), ("entry", key.entry)]
            let counter = Metrics.Counter(label: Self.decisionsName.name, dimensions: labels,
                                          handler: registry.makeCounter(descriptor: Self.decisionsName, labels: labels))
            table[key] = counter
            return counter
        }
        counter.increment()
        decisionDuration[transport]?.recordNanoseconds(nanoseconds)
    }

    func countBadInput(transport: String) { if recordsRequests { badInput[transport]?.increment() } }
    func countUnavailable(transport: String) { if recordsRequests { unavailable[transport]?.increment() } }

    /// Records one request's handler time on `transport`.
    public func recordRequest(transport: String, nanoseconds: Int) {
        guard recordsRequests else { return }
        requestDuration[transport]?.recordNanoseconds(nanoseconds)
    }

    /// A bundle was activated: the info metric names the new revision.
    func activated(revision: String, at time: Double) {
        activationsOK.increment()
        lastActivation.set(to: time)
        revisionInfo.withLock { info in
            if info?.revision == revision { return }
            if let old = info?.gauge { registry.unregisterGauge(old) }
            let gauge = registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "gatepass", metricName: "bundle", unitName: "info",
                                                 helpText: "The active bundle: its revision label, value 1."),
                labels: [("revision", revision)])
            gauge.set(to: 1.0)
            info = (revision, gauge)
        }
    }

    /// An activation failed with a reason of class `reason` (one of `failureClasses`).
    func activationFailed(reason: String, at time: Double) {
        activationsFailed.increment()
        lastFailure.set(to: time)
        for (name, gauge) in failureClass { gauge.set(to: name == reason ? 1.0 : 0.0) }
    }

    func setReady(_ value: Bool) { ready.set(to: value ? 1.0 : 0.0) }

    /// Brings the verified-token cache's series up to `statistics` (read at each scrape:
    /// the cache keeps its own counters, so the decision path records nothing for them).
    func recordTokenCache(_ statistics: TokenCacheStatistics) {
        tokenCache.withLock { state in
            for (counter, now, before) in [(state.hits, statistics.hits, state.seen.hits), (state.misses, statistics.misses, state.seen.misses),
                                           (state.evictions, statistics.evictions, state.seen.evictions)] where now > before {
                counter.increment(by: Int64(clamping: now - before))
            }
            state.seen = statistics
            state.entries.set(to: Double(statistics.entries))
            state.capacity.set(to: Double(statistics.capacity))
        }
    }

    /// The Prometheus text format.
    public func render() -> String { registry.emitToString() }
}

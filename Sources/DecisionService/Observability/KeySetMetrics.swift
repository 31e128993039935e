public import Prometheus
import Runtime

/// The key refresher's series, labelled by URL (from the bundle, never from a request):
/// fetches by result, keys in use, the age of the set in use, and unknown-kid refetches.
public final class KeySetMetrics: Sendable {
    /// `ok` (a set installed or confirmed), `not_modified` (a 304), `error` (no usable
    /// answer: network, status, size, redirect) and `invalid` (an answer that failed validation).
    public enum FetchResult: String, Sendable, CaseIterable {
        case ok, notModified = "not_modified", error, invalid
    }

    /// `ok`: the refetch ran (or joined a fetch in flight); `rate_limited`: within the cooldown.
    public enum RefetchResult: String, Sendable, CaseIterable {
        case ok, rateLimited = "rate_limited"
    }

    let registry: PrometheusCollectorRegistry
    private let series: Locked<[String: Series]>

    struct Series {
        var fetches: [FetchResult: Prometheus.Counter]
        var refetches: [RefetchResult: Prometheus.Counter]
        var keys: Prometheus.Gauge
        var age: Prometheus.Gauge
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        series = Locked([:])
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "gatepass", metricName: metric, unitName: unit, helpText: help)
    }

    static var fetchesName: MetricNameDescriptor { name("jwks_fetches", "total", "Key set and discovery document fetches by URL and result: ok, not_modified, error, invalid.") }
    static var refetchesName: MetricNameDescriptor { name("jwks_unknown_kid_refetches", "total", "Refetches a token with an unknown key asked for, by URL and result: ok or rate_limited.") }
    static var keysName: MetricNameDescriptor { name("jwks_keys", "", "Keys in the set in use, by URL.") }
    static var ageName: MetricNameDescriptor { name("jwks_age_seconds", "", "Seconds since a fetch (or the bundle's bootstrap) last confirmed the set in use, by URL; -1 without one.") }

    /// Creates every series of `url` at once, so all results show as 0 from the start.
    private func with<T>(_ url: String, _ body: (inout Series) -> T) -> T {
        series.withLock { table in
            if table[url] == nil {
                let labels = [("url", url)]
                table[url] = Series(
                    fetches: Dictionary(uniqueKeysWithValues: FetchResult.allCases.map {
                        ($0, registry.makeCounter(descriptor: Self.fetchesName, labels: labels + [("result", $0.rawValue)]))
                    }),
                    refetches: Dictionary(uniqueKeysWithValues: RefetchResult.allCases.map {
                        ($0, registry.makeCounter(descriptor: Self.refetchesName, labels: labels + [("result", $0.rawValue)]))
                    }),
                    keys: registry.makeGauge(descriptor: Self.keysName, labels: labels),
                    age: registry.makeGauge(descriptor: Self.ageName, labels: labels))
                table[url]!.age.set(to: -1)
            }
            return body(&table[url]!)
        }
    }

    func fetched(_ url: String, _ result: FetchResult) { with(url) { $0.fetches[result]?.increment() } }
    func refetch(_ url: String, _ result: RefetchResult) { with(url) { $0.refetches[result]?.increment() } }
    func keysInUse(_ url: String, keys: Int?, age: Double?) {
        with(url) { series in
            series.keys.set(to: Double(keys ?? 0))
            series.age.set(to: age.map { max(0, $0) } ?? -1)
        }
    }
    /// Makes `url`'s series exist (all zero) before its first fetch.
    func register(_ url: String) { with(url) { _ in () } }
}

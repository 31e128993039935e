import Runtime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The service's own handler latency per transport (request received to response written,
/// measured inside the service), in 1 µs buckets up to 10 ms, for `GET /stats` on the admin
/// listener. One short lock per request; no allocation on the hot path.
public final class LatencyRecorder: Sendable {
    static let bucketCount = 10_000
    private let state: Locked<State>
    /// Also records each request elsewhere (the Prometheus histogram of its transport).
    let mirror: (@Sendable (Int) -> Void)?

    struct State {
        var buckets = [Int](repeating: 0, count: LatencyRecorder.bucketCount + 1)
        var count = 0
        var maxNanoseconds = 0
    }

    public init(mirror: (@Sendable (Int) -> Void)? = nil) {
        state = Locked(State())
        self.mirror = mirror
    }

    /// Monotonic nanoseconds, for start and end stamps.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Records one request that started at `start` (from `now()`) and ended now.
    public func record(since start: UInt64) {
        record(nanoseconds: Int(clamping: Self.now() &- start))
    }

    /// Records one request that took `elapsed` nanoseconds.
    public func record(nanoseconds elapsed: Int) {
        let bucket = min(elapsed / 1000, Self.bucketCount)
        mirror?(elapsed)
        state.withLock { state in
            state.buckets[bucket] += 1
            state.count += 1
            if elapsed > state.maxNanoseconds { state.maxNanoseconds = elapsed }
        }
    }

    /// Count, p50, p99, p99.9 and max in microseconds (a quantile is its bucket's upper bound;
    /// over 10 ms reads as 10000+).
    public struct Summary: Sendable, Equatable {
        public var count: Int
        public var p50: Int
        public var p99: Int
        public var p999: Int
        public var maxMicroseconds: Int
    }

    public func summary() -> Summary {
        state.withLock { state in
            func quantile(_ q: Double) -> Int {
                guard state.count > 0 else { return 0 }
                let rank = max(1, Int((Double(state.count) * q).rounded(.up)))
                var seen = 0
                for (index, value) in state.buckets.enumerated() {
                    seen += value
                    if seen >= rank { return index + 1 }
                }
                return Self.bucketCount + 1
            }
            return Summary(count: state.count, p50: quantile(0.5), p99: quantile(0.99), p999: quantile(0.999),
                           maxMicroseconds: state.maxNanoseconds / 1000)
        }
    }

    public func reset() {
        state.withLock { $0 = State() }
    }
}

/// One recorder per decision transport.
public final class ServiceLatency: Sendable {
    public static let transports = ["grpc", "http", "forward-auth"]
    let recorders: [String: LatencyRecorder]

    public init(metrics: ServiceMetrics? = nil) {
        var recorders: [String: LatencyRecorder] = [:]
        for name in Self.transports {
            var mirror: (@Sendable (Int) -> Void)?
            if let metrics {
                mirror = { elapsed in metrics.recordRequest(transport: name, nanoseconds: elapsed) }
            }
            recorders[name] = LatencyRecorder(mirror: mirror)
        }
        self.recorders = recorders
    }

    public func recorder(_ transport: String) -> LatencyRecorder? { recorders[transport] }

    /// `transport=grpc count=N p50_us=… p99_us=… p999_us=… max_us=…`, one line per transport.
    public func report() -> String {
        Self.transports.map { name in
            let s = recorders[name]!.summary()
            return "transport=\(name) count=\(s.count) p50_us=\(s.p50) p99_us=\(s.p99) p999_us=\(s.p999) max_us=\(s.maxMicroseconds)"
        }.joined(separator: "\n")
    }

    public func reset() {
        for recorder in recorders.values { recorder.reset() }
    }
}

import BundleFormat
public import Logging
public import Runtime
public import ServiceLifecycle

/// Keeps the keys of every `jwksUri`/`discovery` entry fresh, off the request path: one
/// schedule per distinct URL (entries sharing a URL share it), installed into the active
/// policy (and into each newly activated one) only after the whole-JWKS validation.
///
/// - Interval: `Cache-Control: max-age` (or `Expires`) clamped to `jwksRefresh` min…max,
///   `default` without them, ±10 % jitter; `If-None-Match`/`If-Modified-Since`, a 304
///   keeps the set and restarts its age. Failures back off from 1 s, doubling up to max.
/// - Stale-while-error: the last good set serves up to `maxStale` after its last
///   confirmation; then the entry fails closed (in `Runtime`) and readiness turns false.
/// - Unknown kid: one single-flight refetch per URL and cooldown; the request waits for
///   it at most the refetch budget.
/// - Discovery documents are refetched every 24 h (or when the JWKS fetch fails).
public final class KeyRefresher: Service, Sendable {
    /// `--jwks-startup`.
    public enum Startup: String, Sendable, CaseIterable {
        /// Not ready until every remote set is loaded once (fetched, or the bundle's bootstrap).
        case wait
        /// Ready at once; entries without keys fail closed until their first fetch.
        case serve
    }

    public struct Settings: Sendable {
        public var startup: Startup = .wait
        /// How long a request with an unknown kid waits for the refetch.
        public var refetchBudget: Duration = .milliseconds(100)
        /// Discovery documents are refetched this often.
        public var discoveryInterval: Double = 86_400
        public init() {}
    }

    let holder: PolicyHolder
    let fetcher: KeySetFetcher
    let metrics: KeySetMetrics
    let logger: Logger
    let clock: @Sendable () -> Double
    public let settings: Settings
    private let state = Locked<State>(State())

    struct State {
        var sources: [String: SourceState] = [:]
        /// The policy the schedules were last matched against.
        var policy: ObjectIdentifier?
    }

    /// One URL of the policy (a JWKS, or a discovery document and the JWKS it names).
    struct SourceState {
        var source: RemoteKeySource
        var jwksURL: String?
        var discoveryValidators: KeySetFetcher.Validators?
        var discoveryDueAt: Double = 0
        var validators: KeySetFetcher.Validators?
        /// The last good set, installed into every newly activated policy.
        var body: [UInt8]?
        var confirmedAt: Double?
        var dueAt: Double = 0
        var failures = 0
        var lastRefetchAt = -Double.infinity
        var inFlight: Task<Void, Never>?
        /// A fetch by this process installed or confirmed keys.
        var everLoaded = false
    }

    public init(holder: PolicyHolder, fetcher: RemoteFetcher, metrics: KeySetMetrics, logger: Logger, settings: Settings = Settings(),
                clock: @escaping @Sendable () -> Double = DecisionCore.wallClock) {
        self.holder = holder
        self.fetcher = KeySetFetcher(fetcher: fetcher)
        self.metrics = metrics
        self.logger = logger
        self.settings = settings
        self.clock = clock
    }

    // MARK: the schedule

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                tick()
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {}
        state.withLock { state in for source in state.sources.values { source.inFlight?.cancel() } }
    }

    /// Matches the schedules to the active policy, starts the fetches that are due, and
    /// updates the age gauges.
    func tick() {
        guard let policy = holder.current else { return }
        let now = clock()
        if state.withLock({ $0.policy }) != ObjectIdentifier(policy) { prime(policy) }
        let due: [String] = state.withLock { state in
            state.sources.compactMap { url, source in source.inFlight == nil && source.dueAt <= now ? url : nil }
        }
        for url in due { start(url) }
        for source in policy.remoteKeySources {
            let inUse = policy.keyState(url: source.url)
            let jwksURL = state.withLock { $0.sources[source.url]?.jwksURL } ?? (source.discovery ? nil : source.url)
            if let jwksURL { metrics.keysInUse(jwksURL, keys: inUse?.keys, age: inUse.map { now - $0.confirmedAt }) }
        }
    }

    /// Before (and after) a policy is activated: installs the last good sets into it, and
    /// adds and drops schedules to match its URLs.
    public func prime(_ policy: LoadedPolicy) {
        let sources = policy.remoteKeySources
        let known = state.withLock { state -> [(String, [UInt8], Double)] in
            state.policy = ObjectIdentifier(policy)
            let urls = Set(sources.map(\.url))
            for (url, source) in state.sources where !urls.contains(url) {
                source.inFlight?.cancel()
                state.sources[url] = nil
            }
            var known: [(String, [UInt8], Double)] = []
            for source in sources {
                if var existing = state.sources[source.url] {
                    existing.source = source
                    state.sources[source.url] = existing
                    if let body = existing.body, let at = existing.confirmedAt { known.append((source.url, body, at)) }
                } else {
                    state.sources[source.url] = SourceState(source: source)
                    metrics.register(source.url)
                }
            }
            return known
        }
        for (url, body, at) in known { _ = try? policy.installKeys(url: url, jwks: body, fetchedAt: at) }
    }

    /// Starts a fetch of `url` unless one is in flight; returns the one in flight.
    @discardableResult
    func start(_ url: String) -> Task<Void, Never>? {
        state.withLock { state -> Task<Void, Never>? in
            guard state.sources[url] != nil else { return nil }
            if let running = state.sources[url]!.inFlight { return running }
            let task = Task { await self.fetch(url) }
            state.sources[url]!.inFlight = task
            return task
        }
    }

    // MARK: one fetch

    func fetch(_ url: String) async {
        guard let snapshot = state.withLock({ $0.sources[url] }) else { return }
        let source = snapshot.source
        var outcome = await fetchSet(snapshot)
        if Task.isCancelled { outcome = .failed(.error, "cancelled") }
        let now = clock()
        var installed: (body: [UInt8], at: Double)?
        state.withLock { state in
            guard var current = state.sources[url] else { return }
            current.inFlight = nil
            if let resolved = outcome.jwksURL { current.jwksURL = resolved }
            if let validators = outcome.discoveryValidators { current.discoveryValidators = validators; current.discoveryDueAt = now + settings.discoveryInterval }
            switch outcome {
            case .fresh(let body, let validators, let freshFor, _, _):
                current.body = body
                current.validators = validators
                current.confirmedAt = now
                current.everLoaded = true
                current.failures = 0
                current.dueAt = now + Self.interval(freshFor, source.refresh)
                installed = (body, now)
            case .notModified(let freshFor, _, _):
                current.confirmedAt = now
                current.everLoaded = current.body != nil || current.everLoaded
                current.failures = 0
                current.dueAt = now + Self.interval(freshFor, source.refresh)
            case .failed:
                current.failures += 1
                current.dueAt = now + Self.backoff(failures: current.failures, source.refresh)
                // A JWKS failing behind discovery: read the discovery document again next time.
                if source.discovery { current.discoveryDueAt = 0 }
            }
            state.sources[url] = current
        }
        guard let policy = holder.current else { return }
        let jwksURL = outcome.jwksURL ?? snapshot.jwksURL ?? url
        switch outcome {
        case .fresh:
            guard let installed else { return }
            do {
                switch try policy.installKeys(url: url, jwks: installed.body, fetchedAt: installed.at) {
                case .installed(let keys):
                    logger.info("key set installed", metadata: ["url": "\(RemoteFetcher.redacted(jwksURL))", "keys": "\(keys)"])
                case .unchanged: break
                }
                metrics.fetched(jwksURL, .ok)
            } catch {
                // Validated against the entries' algorithms only now: undo the bookkeeping.
                state.withLock { state in
                    state.sources[url]?.body = snapshot.body
                    state.sources[url]?.validators = snapshot.validators
                    state.sources[url]?.confirmedAt = snapshot.confirmedAt
                    state.sources[url]?.everLoaded = snapshot.everLoaded
                    state.sources[url]?.failures = snapshot.failures + 1
                    state.sources[url]?.dueAt = now + Self.backoff(failures: snapshot.failures + 1, source.refresh)
                }
                metrics.fetched(jwksURL, .invalid)
                logger.warning("fetched key set refused: the last good set keeps serving",
                               metadata: ["url": "\(RemoteFetcher.redacted(jwksURL))", "reason": "\(error.description)"])
            }
        case .notModified:
            policy.confirmKeys(url: url, at: now)
            metrics.fetched(jwksURL, .notModified)
        case .failed(let result, let reason, _):
            metrics.fetched(outcome.failedURL ?? jwksURL, result)
            logger.warning("key set fetch failed: the last good set keeps serving until its maxStale",
                           metadata: ["url": "\(RemoteFetcher.redacted(outcome.failedURL ?? jwksURL))", "reason": "\(reason)"])
        }
    }

    enum Outcome {
        case fresh([UInt8], KeySetFetcher.Validators, freshFor: Double?, jwksURL: String?, discovery: KeySetFetcher.Validators?)
        case notModified(freshFor: Double?, jwksURL: String?, discovery: KeySetFetcher.Validators?)
        case failed(KeySetMetrics.FetchResult, String, url: String? = nil)

        var jwksURL: String? {
            switch self {
            case .fresh(_, _, _, let url, _), .notModified(_, let url, _): url
            case .failed: nil
            }
        }
        var discoveryValidators: KeySetFetcher.Validators? {
            switch self {
            case .fresh(_, _, _, _, let validators), .notModified(_, _, let validators): validators
            case .failed: nil
            }
        }
        var failedURL: String? {
            if case .failed(_, _, let url) = self { return url }
            return nil
        }
    }

    /// The network part: the discovery document when due, then the JWKS. A set that is not
    /// even a valid JWKS is refused here; the entries' own checks run at installation.
    func fetchSet(_ snapshot: SourceState) async -> Outcome {
        let source = snapshot.source
        var jwksURL = source.discovery ? snapshot.jwksURL : source.url
        var discoveryValidators: KeySetFetcher.Validators?
        let now = clock()
        if source.discovery && (jwksURL == nil || snapshot.discoveryDueAt <= now) {
            do {
                let validators = jwksURL == nil ? nil : snapshot.discoveryValidators
                switch try await fetcher.get(source.url, validators: validators, allowInsecure: source.allowInsecure, now: now) {
                case .notModified:
                    metrics.fetched(source.url, .notModified)
                    discoveryValidators = validators
                case .body(let body, let validators, _):
                    switch DiscoveryDocument.jwksURI(body, source: source) {
                    case .failure(let rejection):
                        return .failed(.invalid, rejection.description, url: source.url)
                    case .success(let uri):
                        metrics.fetched(source.url, .ok)
                        if uri != jwksURL { metrics.register(uri) }
                        jwksURL = uri
                        discoveryValidators = validators
                    }
                }
            } catch {
                return .failed(.error, error.description, url: source.url)
            }
        }
        guard let jwksURL else { return .failed(.error, "no jwks_uri yet") }
        // Validators only while the set they describe is still the one kept.
        let validators = snapshot.jwksURL == jwksURL || !source.discovery ? (snapshot.body == nil ? nil : snapshot.validators) : nil
        do {
            switch try await fetcher.get(jwksURL, validators: validators, allowInsecure: source.allowInsecure, now: now) {
            case .notModified(let freshFor):
                return .notModified(freshFor: freshFor, jwksURL: jwksURL, discovery: discoveryValidators)
            case .body(let body, let found, let freshFor):
                return .fresh(body, found, freshFor: freshFor, jwksURL: jwksURL, discovery: discoveryValidators)
            }
        } catch {
            return .failed(.error, error.description, url: jwksURL)
        }
    }

    /// The delay after a good answer: its caching lifetime (or `default`) within min…max, ±10 %.
    static func interval(_ freshFor: Double?, _ refresh: RemoteKeys.Refresh) -> Double {
        let base = min(max(freshFor ?? Double(refresh.defaultInterval), Double(refresh.minInterval)), Double(refresh.maxInterval))
        return base * Double.random(in: 0.9...1.1)
    }

    /// The delay after `failures` failures in a row: 1 s, 2 s, 4 s … up to max.
    static func backoff(failures: Int, _ refresh: RemoteKeys.Refresh) -> Double {
        min(Double(1 << min(failures - 1, 30)), Double(refresh.maxInterval))
    }

    // MARK: unknown kid

    /// A request was denied `unknown_key` by an entry of `url`: the fetch to wait for (the
    /// one in flight, or a new one), or nil within the cooldown (counted `rate_limited`), so
    /// attacker-chosen kids never cause more than one fetch per cooldown.
    public func claimRefetch(url: String) -> Task<Void, Never>? {
        let now = clock()
        let (task, label) = state.withLock { state -> (Task<Void, Never>?, String?) in
            guard var source = state.sources[url] else { return (nil, nil) }
            let label = source.source.discovery ? source.jwksURL ?? url : url
            if let running = source.inFlight { return (running, label) }
            guard now - source.lastRefetchAt >= Double(source.source.refresh.cooldown) else { return (nil, label) }
            source.lastRefetchAt = now
            let task = Task { await self.fetch(url) }
            source.inFlight = task
            state.sources[url] = source
            return (task, label)
        }
        guard let label else { return nil }
        metrics.refetch(label, task == nil ? .rateLimited : .ok)
        return task
    }

    /// Waits for `fetch` at most the refetch budget; true when it finished in time. The
    /// fetch itself goes on either way.
    public func wait(for fetch: Task<Void, Never>) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await fetch.value; return true }
            group.addTask { try? await Task.sleep(for: self.settings.refetchBudget); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    // MARK: readiness

    /// Every remote set of `policy` is usable at `now`; with `serve`, sets this process never
    /// loaded do not count (their entries fail closed meanwhile).
    public func keysReady(_ policy: LoadedPolicy, now: Double) -> Bool {
        policy.remoteKeySources.allSatisfy { source in
            if policy.hasUsableKeys(url: source.url, now: now) { return true }
            guard settings.startup == .serve else { return false }
            return !(state.withLock { $0.sources[source.url]?.everLoaded } ?? false)
        }
    }
}


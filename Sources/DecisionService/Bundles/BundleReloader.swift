import BundleFormat
public import Logging
public import Runtime
public import ServiceLifecycle
import Synchronization

/// Keeps the active bundle current: polls its source, and activates what changed,
/// all-or-nothing and fail-closed. A bundle activates only after the loader verified it
/// (digest, format version, the signature against the trusted keys when given,
/// environment secrets, every key) and the service's own checks passed; then one atomic
/// swap, and decisions already running finish on the bundle they started with. On any
/// failure the last good bundle keeps serving; the failure is counted and logged.
public final class BundleReloader: Service, Sendable {
    /// When to poll: a uniformly random delay between `minimum` and `maximum` after each
    /// success; after a failure, exponential backoff from one second up to `maximum`.
    public struct Schedule: Sendable {
        public var minimum: Duration
        public var maximum: Duration

        public init(minimum: Duration, maximum: Duration) {
            self.minimum = minimum
            self.maximum = max(minimum, maximum)
        }

        /// Files are checked every second (a `stat`, cheap).
        public static let file = Schedule(minimum: .seconds(1), maximum: .seconds(1))
        /// Remote sources: 30 to 60 seconds.
        public static let remote = Schedule(minimum: .seconds(30), maximum: .seconds(60))
    }

    /// How the first activation went.
    public enum Start: Sendable, Equatable {
        case activated(revision: String)
        /// The source failed; the cached bundle serves.
        case fromCache(revision: String, sourceFailure: String)
        /// Nothing is active. `serviceRefusal`: the service's own check refused the bundle
        /// (the reason then names the flag, `--http: …`), rather than its source or content.
        case failed(String, serviceRefusal: Bool = false)
    }

    public let source: any BundleSource
    let core: DecisionCore
    let cache: BundleCache?
    let schedule: Schedule
    /// Checks of the service's own (e.g. what the HTTP listener cannot serve); a message refuses.
    let check: @Sendable (LoadedPolicy) -> String?
    let logger: Logger
    private let state = Locked<(tag: String?, digest: String?)>((nil, nil))
    private let forced = Atomic<Bool>(false)

    public init(source: any BundleSource, core: DecisionCore, cache: BundleCache? = nil, schedule: Schedule,
                logger: Logger, check: @escaping @Sendable (LoadedPolicy) -> String? = { _ in nil }) {
        self.source = source
        self.core = core
        self.cache = cache
        self.schedule = schedule
        self.logger = logger
        self.check = check
    }

    /// Asks for a reload at once, skipping "unchanged" shortcuts (SIGHUP).
    public func forceReload() {
        forced.store(true, ordering: .releasing)
    }

    /// The first activation, before the listeners are announced: the source, else the cache.
    public func start() async -> Start {
        let failure: String
        switch await poll(force: true) {
        case .success(let revision):
            return .activated(revision: revision ?? core.revision ?? "")
        case .failure(let reason):
            if reason.serviceRefusal { return .failed(reason.text, serviceRefusal: true) }
            failure = reason.text
        }
        guard let cache, let bytes = cache.load() else { return .failed(failure) }
        logger.warning("bundle source failed: serving the cached bundle", metadata: [
            "source": "\(source.location)", "cache": "\(cache.path)", "reason": "\(failure)",
        ])
        switch activate(bytes, origin: "cache") {
        case .success(let revision): return .fromCache(revision: revision ?? "", sourceFailure: failure)
        case .failure(let reason): return .failed("\(failure); the cached bundle did not activate either: \(reason.text)")
        }
    }

    /// Polls until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.pollForever()
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the wait between polls: a normal end, not an error.
        }
    }

    private func pollForever() async throws {
        var failures = 0
        var delay = nextDelay(afterFailures: core.revision == nil ? 1 : 0)
        while true {
            var waited = Duration.zero
            // Short steps, so a SIGHUP is served within 100 ms.
            while waited < delay && !forced.load(ordering: .acquiring) {
                try await Task.sleep(for: .milliseconds(100))
                waited += .milliseconds(100)
            }
            let force = forced.exchange(false, ordering: .acquiringAndReleasing)
            switch await poll(force: force) {
            case .success: failures = 0
            case .failure: failures += 1
            }
            delay = nextDelay(afterFailures: failures)
        }
    }

    func nextDelay(afterFailures failures: Int) -> Duration {
        if failures > 0 {
            let backoff = Duration.seconds(1) * (1 << min(failures - 1, 20))
            return min(backoff, schedule.maximum)
        }
        let span = schedule.maximum - schedule.minimum
        guard span > .zero else { return schedule.minimum }
        let fraction = Double.random(in: 0...1)
        return schedule.minimum + span * fraction
    }

    /// One check of the source; activates when the bytes changed (or when forced). The
    /// success value is the revision activated, nil when nothing changed.
    func poll(force: Bool) async -> Result<String?, ReloadFailure> {
        let tag = state.withLock { $0.tag }
        let fetched: BundleFetch
        do {
            fetched = try await source.fetch(ifChangedFrom: tag, force: force)
        } catch {
            // A fetch cut short by shutdown is neither a failure nor worth a log line.
            if Task.isCancelled { return .success(nil) }
            return fail(reason: error.description, kind: "fetch")
        }
        guard case .bundle(let bytes, let newTag) = fetched else { return .success(nil) }
        let digest = SHA256.hex(bytes)
        let same = state.withLock { state -> Bool in
            state.tag = newTag
            return state.digest == digest
        }
        if same && !force { return .success(nil) }
        return activate(bytes, origin: source.kind)
    }

    struct ReloadFailure: Error {
        let text: String
        var serviceRefusal = false
    }

    func activate(_ bytes: [UInt8], origin: String) -> Result<String?, ReloadFailure> {
        let digest = SHA256.hex(bytes)
        let policy: LoadedPolicy
        do {
            policy = try core.holder.loader.load(bytes: bytes)
        } catch {
            state.withLock { $0.digest = digest }
            core.holder.noteFailure(error)
            return fail(reason: error.description, kind: error.kind.rawValue)
        }
        if let refusal = check(policy) {
            state.withLock { $0.digest = digest }
            return fail(reason: refusal, kind: PolicyLoadError.Kind.key.rawValue, serviceRefusal: true)
        }
        let previous = core.revision
        // The last good remote key sets go into the new policy before it serves.
        core.keys?.prime(policy)
        core.holder.install(policy)
        state.withLock { $0.digest = digest }
        core.metrics.activated(revision: policy.revision, at: core.clock())
        core.refreshReadiness()
        logger.info("bundle activated", metadata: [
            "revision": "\(policy.revision)", "previous": "\(previous ?? "-")", "origin": "\(origin)", "source": "\(source.location)",
        ])
        if let cache, origin != "cache" {
            do {
                try cache.store(bytes)
            } catch {
                logger.warning("cannot write the bundle cache", metadata: ["reason": "\(error.description)"])
            }
        }
        return .success(policy.revision)
    }

    func fail(reason: String, kind: String, serviceRefusal: Bool = false) -> Result<String?, ReloadFailure> {
        core.metrics.activationFailed(reason: kind, at: core.clock())
        let consequence = core.revision == nil ? "no bundle is active" : "the last good bundle keeps serving"
        logger.error("bundle not activated: \(consequence)", metadata: [
            "source": "\(source.location)", "serving": "\(core.revision ?? "none")", "class": "\(kind)", "reason": "\(reason)",
        ])
        return .failure(ReloadFailure(text: reason, serviceRefusal: serviceRefusal))
    }
}

extension Result where Failure == BundleReloader.ReloadFailure {
    static func failure(_ text: String) -> Self { .failure(BundleReloader.ReloadFailure(text: text)) }
}

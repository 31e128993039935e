import AsyncHTTPClient
import BundleFormat
import DecisionService
import Foundation
import Logging
import Metrics
import Prometheus
import Runtime
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Gatepassd {
    /// Activates the first bundle, binds the listeners, announces them, and serves until
    /// SIGTERM/SIGINT: readiness false first, then the listeners drain, then exit.
    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw StartupError("--log-level: `\(logLevel)` is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gatepassd")
        let metrics = ServiceMetrics(recordsRequests: !noMetrics)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))

        let proxies: TrustedProxies
        do {
            proxies = trustedProxies.isEmpty ? .loopback : try TrustedProxies(trustedProxies)
        } catch {
            throw StartupError("--trusted-proxy: \(error.description)")
        }
        let holder = PolicyHolder(loader: PolicyLoader(trustedKeys: try loadTrustedKeys(), tokenCacheCapacity: tokenCacheSize))
        var decisionLogWriter: DecisionLog?
        if let decisionLog {
            do {
                decisionLogWriter = try DecisionLog(path: decisionLog, subjectMode: DecisionLog.SubjectMode(rawValue: decisionLogSubject) ?? .hashed,
                                                    sample: decisionLogSample, capacity: decisionLogBuffer, metrics: metrics)
            } catch {
                throw StartupError("--decision-log: \(error.description)")
            }
        }
        // Keys from identity providers: fetched with their own client and limits.
        let keyClient = RemoteFetcher.makeClient()
        var keySettings = KeyRefresher.Settings()
        keySettings.startup = KeyRefresher.Startup(rawValue: jwksStartup) ?? .wait
        keySettings.refetchBudget = DurationText.parse(jwksRefetchBudget) ?? .milliseconds(100)
        let keyFetcher = RemoteFetcher(client: keyClient, limits: BundleFetchLimits(maxBytes: jwksMaxBytes, timeout: DurationText.parse(jwksTimeout) ?? .seconds(5)))
        let refresher = KeyRefresher(holder: holder, fetcher: keyFetcher, metrics: KeySetMetrics(registry: metrics.registry),
                                     logger: logger, settings: keySettings)
        let core = DecisionCore(holder: holder, logger: logger, metrics: metrics, decisionLog: decisionLogWriter, keys: refresher)

        // The bundle source, its client and the first activation.
        let client = bundle == nil ? RemoteFetcher.makeClient() : nil
        do {
            try await serve(core: core, client: client, proxies: proxies, logger: logger)
        } catch {
            try? await client?.shutdown()
            try? await keyClient.shutdown()
            throw error
        }
        try? await client?.shutdown()
        try? await keyClient.shutdown()
    }

    func serve(core: DecisionCore, client: HTTPClient?, proxies: TrustedProxies, logger: Logger) async throws {
        let reloader = try makeReloader(core: core, client: client, logger: logger)
        switch await reloader.start() {
        case .activated(let revision):
            logger.info("bundle loaded", metadata: ["revision": "\(revision)", "source": "\(reloader.source.location)"])
        case .fromCache(let revision, let failure):
            logger.warning("serving the cached bundle until the source answers", metadata: ["revision": "\(revision)", "reason": "\(failure)"])
        case .failed(let reason, let serviceRefusal):
            // A file given on the command line must load, and no source may bring a bundle
            // the listeners cannot serve; a remote source may be down at startup: then the
            // service is not ready (every decision "unavailable") and retries.
            if bundle != nil || serviceRefusal {
                // The service's own refusals (`--http: …`) name their flag; the rest name the file.
                throw StartupError(serviceRefusal ? reason : "\(reloader.source.location): \(reason)")
            }
            logger.error("no bundle active yet: not ready, retrying", metadata: ["source": "\(reloader.source.location)", "reason": "\(reason)"])
        }
        core.refreshReadiness()

        // HTTP listeners bind now, so a busy port fails before anything is announced.
        let limits = HTTPListener.Limits(maxConnections: maxConnections,
                                         idleTimeout: .milliseconds(Self.milliseconds(idleTimeout)), maxHeaderBytes: maxHeaderBytes,
                                         requestReadTimeout: .milliseconds(Self.milliseconds(requestReadTimeout)))
        var listeners: [(flag: String, listener: HTTPListener)] = []
        let endpoints: [(String, String?, any HTTPEndpoint)] = [
            ("http", http, ExtAuthzHTTP(core: core, pathPrefix: httpPathPrefix)),
            ("forward-auth", forwardAuth, ForwardAuth(core: core, trustedProxies: proxies)),
            ("admin", admin, AdminEndpoint(core: core)),
        ]
        for (flag, text, endpoint) in endpoints {
            guard let text, let address = Self.address(text) else { continue }
            do {
                listeners.append((flag, try await HTTPListener.bind(address, name: flag, endpoint: endpoint, limits: limits)))
            } catch {
                for (_, bound) in listeners { await bound.close() }
                throw StartupError(ListenerError(listener: flag, address: address, reason: "\(error)").description)
            }
        }
        let grpcListener = grpc.flatMap(Self.address).map { GRPCListener(address: $0, core: core, onEventLoops: grpcExecutor == "event-loop", threads: grpcThreads,
                                                                         maxConcurrentStreams: maxConcurrentStreams) }

        // Shut down in reverse order: readiness first, then the listeners drain, then the
        // decision log flushes, then the reloader stops.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: reloader)]
        if let refresher = core.keys { services.append(.init(service: refresher)) }
        if let decisionLogWriter = core.decisionLog { services.append(.init(service: decisionLogWriter)) }
        if let grpcListener { services.append(.init(service: grpcListener)) }
        for (_, listener) in listeners { services.append(.init(service: listener)) }
        services.append(.init(service: ReloadOnHangup(reloader: reloader)))
        let announcer = StartupAnnouncer(grpc: grpcListener, listeners: listeners, revision: core.revision ?? "none", logger: logger)
        services.append(.init(service: announcer, successTerminationBehavior: .ignore))
        services.append(.init(service: ReadinessDrain(core: core, delay: DurationText.parse(shutdownDelay) ?? .zero)))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = DurationText.parse(shutdownGrace) ?? .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch let error as ListenerError {
            throw StartupError(error.description)
        } catch {
            // The grace period passed with requests still in flight: exit anyway.
            logger.warning("shutdown grace period passed", metadata: ["reason": "\(error)"])
        }
        logger.info("stopped", metadata: ["allowed": "\(core.counters.allowed)", "denied": "\(core.counters.denied)",
                                          "bad_input": "\(core.counters.badInput)"])
    }

    static func milliseconds(_ text: String) -> Int64 {
        let duration = DurationText.parse(text) ?? .seconds(60)
        return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    func makeReloader(core: DecisionCore, client: HTTPClient?, logger: Logger) throws -> BundleReloader {
        var cache: BundleCache?
        if let bundleCache {
            do {
                cache = try BundleCache(directory: bundleCache)
            } catch {
                throw StartupError("--bundle-cache: \(error.description)")
            }
        }
        let refuseForHTTP: @Sendable (LoadedPolicy) -> String? = { [http] policy in
            http == nil ? nil : ExtAuthzHTTP.refusal(for: policy.program).map { "--http: \($0)" }
        }
        if let bundle {
            return BundleReloader(source: FileBundleSource(path: bundle), core: core, cache: cache, schedule: .file,
                                  logger: logger, check: refuseForHTTP)
        }
        guard let client else { throw StartupError("no HTTP client") }
        let limits = BundleFetchLimits(maxBytes: bundleMaxBytes, timeout: DurationText.parse(bundleTimeout) ?? .seconds(10))
        let fetcher = RemoteFetcher(client: client, limits: limits)
        var headers: [(name: String, value: String)] = bundleHeaders.compactMap(Self.header)
        if let bundleTokenFile {
            guard let token = Self.secretFile(bundleTokenFile) else { throw StartupError("--bundle-token-file: cannot read `\(bundleTokenFile)` (or it is empty)") }
            headers.append(("Authorization", "Bearer \(token)"))
        }
        var basic: String?
        if let bundleCredentialsFile {
            guard let text = Self.secretFile(bundleCredentialsFile), text.contains(":") else {
                throw StartupError("--bundle-credentials-file: `\(bundleCredentialsFile)` must hold user:password")
            }
            basic = text
        }
        let schedule = BundleReloader.Schedule(minimum: DurationText.parse(bundlePollMin) ?? .seconds(30),
                                               maximum: DurationText.parse(bundlePollMax) ?? .seconds(60))
        let source: any BundleSource
        if let bundleURL {
            do {
                source = try HTTPBundleSource(url: bundleURL, fetcher: fetcher, credentials: BundleCredentials(headers: headers))
            } catch {
                throw StartupError("--bundle-url: \(error.description)")
            }
        } else {
            let reference: OCIReference
            do {
                reference = try OCIReference(parsing: bundleOCI ?? "")
            } catch {
                throw StartupError("--bundle-oci: \(error.description)")
            }
            source = OCIBundleSource(reference: reference, fetcher: fetcher, credentials: BundleCredentials(headers: headers), basicCredentials: basic)
        }
        return BundleReloader(source: source, core: core, cache: cache, schedule: schedule, logger: logger, check: refuseForHTTP)
    }

    /// A secret file's text without the trailing newline; nil when unreadable or empty.
    static func secretFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else { return nil }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    func loadTrustedKeys() throws -> [BundleTrustedKey] {
        try trustedKeys.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw StartupError("--trusted-key: cannot read `\(path)`") }
            do {
                return try BundleTrustedKey(pem: Array(data))
            } catch {
                throw StartupError("--trusted-key: \(path): \(error)")
            }
        }
    }
}

/// SIGHUP forces a reload of the bundle source.
struct ReloadOnHangup: Service {
    let reloader: BundleReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals { reloader.forceReload() }
        }
    }
}

/// The first service to shut down: turns readiness false, then (optionally) keeps serving
/// for `delay` so load balancers stop sending before the listeners close.
struct ReadinessDrain: Service {
    let core: DecisionCore
    let delay: Duration

    func run() async throws {
        try? await gracefulShutdown()
        core.beginDraining()
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}

/// Prints the one startup line once every listener is bound, with the bound addresses.
struct StartupAnnouncer: Service {
    let grpc: GRPCListener?
    let listeners: [(flag: String, listener: HTTPListener)]
    let revision: String
    let logger: Logger

    func run() async throws {
        var parts: [String] = []
        if let grpc { parts.append("grpc=\(try await grpc.boundAddress())") }
        for (flag, listener) in listeners {
            if let bound = listener.boundAddress { parts.append("\(flag)=\(bound)") }
        }
        parts.append("revision=\(revision)")
        FileHandle.standardOutput.write(Data(("gatepassd: listening " + parts.joined(separator: " ") + "\n").utf8))
        logger.info("serving", metadata: ["revision": "\(revision)"])
    }
}

import BundleFormat
import DecisionService
import Foundation
import Logging
import Runtime
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Gatepassd {
    /// Loads the bundle, binds the listeners, announces them, and serves until SIGTERM/SIGINT.
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

        let proxies: TrustedProxies
        do {
            proxies = trustedProxies.isEmpty ? .loopback : try TrustedProxies(trustedProxies)
        } catch {
            throw StartupError("--trusted-proxy: \(error.description)")
        }
        let holder = PolicyHolder(loader: PolicyLoader(trustedKeys: try loadTrustedKeys()))
        if case .keptPrevious(_, let error) = holder.reload(path: bundle) {
            throw StartupError("\(bundle): \(error.description)")
        }
        guard let policy = holder.current else { throw StartupError("\(bundle): no policy loaded") }
        if http != nil, let refusal = ExtAuthzHTTP.refusal(for: policy.program) {
            throw StartupError("--http: \(refusal)")
        }
        let core = DecisionCore(holder: holder, logger: logger)

        // HTTP listeners bind now, so a busy port fails before anything is announced.
        var listeners: [(flag: String, listener: HTTPListener)] = []
        let endpoints: [(String, String?, any HTTPEndpoint)] = [
            ("http", http, ExtAuthzHTTP(core: core, pathPrefix: httpPathPrefix)),
            ("forward-auth", forwardAuth, ForwardAuth(core: core, trustedProxies: proxies)),
            ("admin", admin, AdminEndpoint(core: core)),
        ]
        for (flag, text, endpoint) in endpoints {
            guard let text, let address = Self.address(text) else { continue }
            do {
                listeners.append((flag, try await HTTPListener.bind(address, name: flag, endpoint: endpoint)))
            } catch {
                for (_, bound) in listeners { await bound.close() }
                throw StartupError(ListenerError(listener: flag, address: address, reason: "\(error)").description)
            }
        }
        let grpcListener = grpc.flatMap(Self.address).map { GRPCListener(address: $0, core: core) }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let grpcListener { services.append(.init(service: grpcListener)) }
        for (_, listener) in listeners { services.append(.init(service: listener)) }
        let announcer = StartupAnnouncer(grpc: grpcListener, listeners: listeners, revision: policy.revision, logger: logger)
        services.append(.init(service: announcer, successTerminationBehavior: .ignore))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        do {
            try await group.run()
        } catch let error as ListenerError {
            throw StartupError(error.description)
        }
        logger.info("stopped", metadata: ["allowed": "\(core.counters.allowed)", "denied": "\(core.counters.denied)",
                                          "bad_input": "\(core.counters.badInput)"])
    }

    func loadTrustedKeys() throws -> [BundleTrustedKey] {
        try trustedKeys.map { path in
            guard let file = fopen(path, "rb") else { throw StartupError("--trusted-key: cannot read `\(path)`") }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                bytes.append(contentsOf: buffer[0..<count])
                if count < buffer.count { break }
            }
            do {
                return try BundleTrustedKey(pem: bytes)
            } catch {
                throw StartupError("--trusted-key: \(path): \(error)")
            }
        }
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

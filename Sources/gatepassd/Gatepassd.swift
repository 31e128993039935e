import ArgumentParser
import DecisionService
import Runtime
import Foundation

/// `gatepassd`: the decision service in front of gateways (Envoy ext_authz over gRPC and
/// HTTP, forward auth for nginx, Traefik and Caddy), with an admin listener.
@main
struct Gatepassd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatepassd",
        abstract: "Serve authorization decisions from a compiled Gatepass bundle.",
        discussion: """
        Each listener is HOST:PORT (IPv6 as [::1]:PORT; a bare PORT means 127.0.0.1; port 0 lets the \
        kernel choose). At least one of --grpc, --http and --forward-auth is required. Once every \
        listener is bound, one line names the bound addresses: \
        `gatepassd: listening grpc=127.0.0.1:9191 ... revision=REV`. The bundle comes from one source \
        (--bundle, --bundle-url or --bundle-oci) and is reloaded when it changes; a bundle that fails \
        to activate never replaces the one serving. Exit status 2 on a usage error, a bundle file that \
        cannot be loaded at startup, or a listener that cannot bind; 0 after SIGTERM or SIGINT (readiness \
        turns false first, then requests in flight finish within --shutdown-grace).
        """
    )

    // MARK: the bundle

    @Option(help: "A compiled bundle file, watched: a change (including a Kubernetes ConfigMap symlink swap) activates it; SIGHUP forces a reload.")
    var bundle: String?

    @Option(name: .customLong("bundle-url"), help: "Poll the bundle from an https URL (http only to loopback) with If-None-Match.")
    var bundleURL: String?

    @Option(name: .customLong("bundle-oci"), help: "Pull the bundle from an OCI registry: REGISTRY/REPOSITORY:TAG (polled) or REGISTRY/REPOSITORY@sha256:DIGEST (pinned).")
    var bundleOCI: String?

    @Option(name: .customLong("trusted-key"), help: "A trusted Ed25519 public key (PEM), repeatable: then every bundle must be signed by one.")
    var trustedKeys: [String] = []

    @Option(name: .customLong("bundle-poll-min"), help: "Shortest delay between polls of --bundle-url or --bundle-oci.")
    var bundlePollMin: String = "30s"

    @Option(name: .customLong("bundle-poll-max"), help: "Longest delay between polls (each delay is random in between); also the cap of the backoff after failures.")
    var bundlePollMax: String = "60s"

    @Option(name: .customLong("bundle-timeout"), help: "Time limit of one bundle request.")
    var bundleTimeout: String = "10s"

    @Option(name: .customLong("bundle-max-bytes"), help: "The largest bundle accepted from a remote source, in bytes.")
    var bundleMaxBytes: Int = 16 << 20

    @Option(name: .customLong("bundle-token-file"), help: "A file holding a bearer token for the bundle server or registry.")
    var bundleTokenFile: String?

    @Option(name: .customLong("bundle-header"), help: "An extra request header for the bundle server or registry, `Name: value`, repeatable.")
    var bundleHeaders: [String] = []

    @Option(name: .customLong("bundle-credentials-file"), help: "A file holding `user:password` for an OCI registry's token service.")
    var bundleCredentialsFile: String?

    @Option(name: .customLong("bundle-cache"), help: "A directory keeping the last bundle that activated, served after a restart while the source is down.")
    var bundleCache: String?

    // MARK: listeners

    @Option(help: "Envoy ext_authz gRPC listener (envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health).")
    var grpc: String?

    @Option(name: .customLong("grpc-executor"), help: "Where gRPC requests run: `event-loop` (on the connection's own thread, the default) or `global` (Swift's global executor; more threads, more hand-offs).")
    var grpcExecutor: String = "event-loop"

    @Option(name: .customLong("grpc-threads"), help: "Event-loop threads of the gRPC listener (default: one per core).")
    var grpcThreads: Int?

    @Option(help: "Envoy ext_authz HTTP service listener.")
    var http: String?

    @Option(name: .customLong("http-path-prefix"), help: "The path_prefix Envoy's http_service puts before the original path.")
    var httpPathPrefix: String = ""

    @Option(name: .customLong("forward-auth"), help: "Forward-auth listener for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth.")
    var forwardAuth: String?

    @Option(name: .customLong("trusted-proxy"), help: "A proxy address whose X-Forwarded-* headers forward auth believes, repeatable (default 127.0.0.1 and ::1).")
    var trustedProxies: [String] = []

    @Option(help: "Admin listener: GET /healthz, /readyz, /metrics (Prometheus) and /stats.")
    var admin: String?

    @Option(name: .customLong("max-connections"), help: "Open connections per HTTP listener; more are closed at once.")
    var maxConnections: Int = 4096

    @Option(name: .customLong("max-header-bytes"), help: "HTTP listeners: the largest request line plus headers accepted; larger is a 400 and the connection closes.")
    var maxHeaderBytes: Int = 32 * 1024

    @Option(name: .customLong("max-concurrent-streams"), help: "gRPC listener: Check requests in flight per connection.")
    var maxConcurrentStreams: Int = 1000

    @Option(name: .customLong("idle-timeout"), help: "Close an HTTP connection silent for this long.")
    var idleTimeout: String = "60s"

    @Option(name: .customLong("request-read-timeout"),
            help: "HTTP listeners: close a connection that sends bytes but completes no request (head and body) this long after the first of them (slow clients).")
    var requestReadTimeout: String = "10s"

    @Option(name: .customLong("shutdown-grace"), help: "After SIGTERM: how long requests in flight may take to finish before the process exits.")
    var shutdownGrace: String = "10s"

    @Option(name: .customLong("shutdown-delay"), help: "After SIGTERM: how long to keep serving while readiness is already false (lets load balancers notice).")
    var shutdownDelay: String = "0s"

    // MARK: keys from identity providers

    @Option(name: .customLong("jwks-startup"), help: "Remote key sets at startup: `wait` (not ready until every set is loaded once, from the network or the bundle's bootstrap) or `serve` (ready at once; entries without keys deny until their first fetch).")
    var jwksStartup: String = "wait"

    @Option(name: .customLong("jwks-refetch-budget"), help: "How long a request whose key id a remote set lacks waits for the (single-flight, rate-limited) refetch.")
    var jwksRefetchBudget: String = "100ms"

    @Option(name: .customLong("jwks-timeout"), help: "Time limit of one key set or discovery document request.")
    var jwksTimeout: String = "5s"

    @Option(name: .customLong("jwks-max-bytes"), help: "The largest key set or discovery document accepted, in bytes.")
    var jwksMaxBytes: Int = 512 * 1024

    @Option(name: .customLong("token-cache-size"), help: "Verified tokens kept so a repeated token skips parsing and the signature check (0 turns the cache off).")
    var tokenCacheSize: Int = PolicyLoader.defaultTokenCacheCapacity

    @Flag(name: .customLong("no-metrics"), help: "Record no metrics (/metrics then serves only the bundle and readiness series); for measuring their cost.")
    var noMetrics = false

    // MARK: logs

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (logs go to standard error).")
    var logLevel: String = "info"

    @Option(name: .customLong("decision-log"), help: "Write one JSON line per decision to `-` (standard output) or a file.")
    var decisionLog: String?

    @Option(name: .customLong("decision-log-sample"), help: "The fraction of decisions logged, 0 to 1.")
    var decisionLogSample: Double = 1

    @Option(name: .customLong("decision-log-subject"), help: "The token's sub in decision logs: off, hashed (SHA-256 prefix) or plain.")
    var decisionLogSubject: String = "hashed"

    @Option(name: .customLong("decision-log-buffer"), help: "Decision log lines buffered before new ones are dropped (and counted).")
    var decisionLogBuffer: Int = 10_000

    func validate() throws {
        let sources = [bundle, bundleURL, bundleOCI].compactMap { $0 }
        if sources.count != 1 {
            throw ValidationError("give exactly one bundle source: --bundle FILE, --bundle-url URL or --bundle-oci REFERENCE")
        }
        if grpc == nil && http == nil && forwardAuth == nil {
            throw ValidationError("give at least one decision listener: --grpc, --http or --forward-auth")
        }
        for (flag, value) in [("--grpc", grpc), ("--http", http), ("--forward-auth", forwardAuth), ("--admin", admin)] {
            if let value, Self.address(value) == nil { throw ValidationError("\(flag): `\(value)` is not HOST:PORT") }
        }
        if !httpPathPrefix.isEmpty && !httpPathPrefix.hasPrefix("/") {
            throw ValidationError("--http-path-prefix must start with `/`")
        }
        if let grpcThreads, !(1...256).contains(grpcThreads) { throw ValidationError("--grpc-threads must be between 1 and 256") }
        if grpcExecutor != "event-loop" && grpcExecutor != "global" {
            throw ValidationError("--grpc-executor: `\(grpcExecutor)` is not event-loop or global")
        }
        for (flag, value) in [("--bundle-poll-min", bundlePollMin), ("--bundle-poll-max", bundlePollMax), ("--bundle-timeout", bundleTimeout),
                              ("--idle-timeout", idleTimeout), ("--request-read-timeout", requestReadTimeout),
                              ("--shutdown-grace", shutdownGrace), ("--shutdown-delay", shutdownDelay)] {
            guard let duration = DurationText.parse(value) else {
                throw ValidationError("\(flag): `\(value)` is not a duration (e.g. 500ms, 30s, 5m, 1h)")
            }
            if flag != "--shutdown-delay" && duration < .milliseconds(100) {
                throw ValidationError("\(flag): `\(value)` is too short (at least 100ms)")
            }
        }
        if let low = DurationText.parse(bundlePollMin), let high = DurationText.parse(bundlePollMax), high < low {
            throw ValidationError("--bundle-poll-max (\(bundlePollMax)) is shorter than --bundle-poll-min (\(bundlePollMin))")
        }
        if bundleMaxBytes < 1 { throw ValidationError("--bundle-max-bytes must be positive") }
        if KeyRefresher.Startup(rawValue: jwksStartup) == nil {
            throw ValidationError("--jwks-startup: `\(jwksStartup)` is not wait or serve")
        }
        for (flag, value) in [("--jwks-refetch-budget", jwksRefetchBudget), ("--jwks-timeout", jwksTimeout)] {
            guard let duration = DurationText.parse(value) else {
                throw ValidationError("\(flag): `\(value)` is not a duration (e.g. 100ms, 5s)")
            }
            if flag == "--jwks-timeout" && duration < .milliseconds(100) { throw ValidationError("--jwks-timeout: `\(value)` is too short (at least 100ms)") }
            if duration > .seconds(60) { throw ValidationError("\(flag): `\(value)` is too long (at most 60s)") }
        }
        if !(0...10_000_000).contains(tokenCacheSize) { throw ValidationError("--token-cache-size must be between 0 and 10000000") }
        if jwksMaxBytes < 1024 { throw ValidationError("--jwks-max-bytes must be at least 1024") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be positive") }
        if !(1024...(1 << 20)).contains(maxHeaderBytes) { throw ValidationError("--max-header-bytes must be between 1024 and 1048576") }
        if maxConcurrentStreams < 1 { throw ValidationError("--max-concurrent-streams must be positive") }
        if !(0...1).contains(decisionLogSample) { throw ValidationError("--decision-log-sample must be between 0 and 1") }
        if decisionLogBuffer < 1 { throw ValidationError("--decision-log-buffer must be positive") }
        if DecisionLog.SubjectMode(rawValue: decisionLogSubject) == nil {
            throw ValidationError("--decision-log-subject: `\(decisionLogSubject)` is not off, hashed or plain")
        }
        if bundle != nil && (bundleTokenFile != nil || !bundleHeaders.isEmpty || bundleCredentialsFile != nil) {
            throw ValidationError("--bundle-token-file, --bundle-header and --bundle-credentials-file apply to --bundle-url and --bundle-oci only")
        }
        for header in bundleHeaders where Self.header(header) == nil {
            throw ValidationError("--bundle-header: `\(header.prefix { $0 != ":" })…` is not `Name: value`")
        }
    }

    /// `Name: value`, with a token name and a value without control characters.
    static func header(_ text: String) -> (name: String, value: String)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = String(text[..<colon])
        let value = String(text[text.index(after: colon)...].drop { $0 == " " })
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }),
              !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return (name, value)
    }

    /// A listener address; a bare `PORT` or `:PORT` is on 127.0.0.1.
    static func address(_ text: String) -> ListenAddress? {
        let bare = text.hasPrefix(":") ? String(text.dropFirst()) : text
        if !bare.isEmpty, bare.allSatisfy({ $0.isASCII && $0.isNumber }) { return ListenAddress(parsing: "127.0.0.1:\(bare)") }
        return ListenAddress(parsing: text)
    }

    /// Exit statuses: 0 after a graceful shutdown, 2 for every startup failure.
    static func main() async {
        let command: Gatepassd
        do {
            command = try parse()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            writeError(message)
            Foundation.exit(2)
        }
        do {
            try await command.run()
            Foundation.exit(0)
        } catch let error as StartupError {
            writeError("gatepassd: error: \(error.description)")
            Foundation.exit(2)
        } catch {
            writeError("gatepassd: error: \(error)")
            Foundation.exit(2)
        }
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A startup failure, printed as one line and exit status 2.
struct StartupError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Durations on the command line: a number and a unit, `ms`, `s`, `m` or `h` (`1.5s`).
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (unit, seconds) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number), value.isFinite else { continue }
            return .milliseconds(Int64((value * seconds * 1000).rounded()))
        }
        return nil
    }
}

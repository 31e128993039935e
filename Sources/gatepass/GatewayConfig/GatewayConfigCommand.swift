import ArgumentParser
import BundleFormat
import Compiler
import Diagnostics
import Foundation
import FrontEnd

/// `gatepass gateway-config TARGET POLICIES-or-BUNDLE`: the gateway configuration that puts
/// the decision service in front of an upstream, written from the compiled policy, so token
/// stripping and anti-spoofing are never left to hand-written config.
struct GatewayConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-config",
        abstract: "Write the gateway configuration (Envoy, nginx, Caddy, Traefik) for a policy set.",
        discussion: """
        TARGET is envoy-grpc, envoy-http, nginx, caddy or traefik. The input is policy files and directories \
        (compiled in memory) or one bundle (*.gpb). The configuration goes to standard output; what the gateway \
        cannot do for these policies is printed on standard error: errors (a token the policy removes would reach \
        the upstream) exit 1 with nothing written, unless --allow-unremoved-tokens; warnings are also written into \
        the configuration as comments. Exits 2 on usage errors, unreadable input or policies that do not compile. \
        See docs/deployment.md for the capability table.
        """
    )

    @Argument(help: "The gateway: \(GatewayTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: GatewayTarget

    @Argument(help: "Policy files and directories, or one bundle (*.gpb).")
    var paths: [String] = []

    @Option(help: "The decision service listener the gateway calls (gatepassd --grpc, --http or --forward-auth; default by target: 127.0.0.1:9191, :9192, :9193). Repeat it for several replicas (envoy-grpc, envoy-http, nginx): they are load-balanced, with health checks and retries.")
    var service: [GatewayAddress] = []

    @Option(help: "The protected upstream the gateway proxies to.")
    var upstream: GatewayAddress = GatewayAddress(argument: "127.0.0.1:8080")!

    @Option(help: "Where the gateway listens for clients.")
    var listen: GatewayAddress = GatewayAddress(argument: "127.0.0.1:10000")!

    @Option(help: "envoy-http: the path prefix of the check requests (the same as gatepassd --http-path-prefix; default none).")
    var httpPathPrefix: String = ""

    @Option(help: "How long the gateway waits for a decision, in milliseconds (then it fails closed).")
    var timeoutMs: Int = 500

    @Flag(help: "Write the configuration even when a token the policy removes would reach the upstream (printed as warnings).")
    var allowUnremovedTokens = false

    @Option(help: "A trusted Ed25519 public key (PEM) for a bundle input; the bundle must be signed by one of them.")
    var trustedKey: [String] = []

    @Option(help: "Largest policy or key file accepted, in bytes.")
    var maxFileSize: Int = PolicySetLoader.defaultMaxFileSize

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give the policy files and directories, or a bundle") }
        if !(1...60_000).contains(timeoutMs) { throw ValidationError("--timeout-ms must be between 1 and 60000") }
        if service.count > 1 && !target.balancesReplicas {
            throw ValidationError("\(target.rawValue) takes one --service; put a load balancer in front of several replicas, or use envoy-grpc, envoy-http or nginx")
        }
        if Set(service.map(\.description)).count != service.count { throw ValidationError("--service names the same address twice") }
        if !httpPathPrefix.isEmpty && !httpPathPrefix.hasPrefix("/") || httpPathPrefix.contains(where: { $0 == " " || $0 == "?" || $0 == "#" || $0 == "\"" }) {
            throw ValidationError("--http-path-prefix must be empty or start with `/`, and hold no space, `?`, `#` or `\"`")
        }
    }

    func run() throws {
        let program = try loadProgram()
        let facts = GatewayFacts(program: program)
        let findings = target.findings(for: facts, allowUnremovedTokens: allowUnremovedTokens)
        for finding in findings {
            FileHandle.standardError.write(Data("gatepass: \(finding.severity.rawValue): \(finding.message)\n".utf8))
        }
        if findings.contains(where: { $0.severity == .error }) {
            FileHandle.standardError.write(Data("gatepass: no \(target.rawValue) configuration written (--allow-unremoved-tokens writes it anyway)\n".utf8))
            throw ExitStatus.problems.exitCode
        }
        let options = GatewayRenderOptions(
            target: target, revision: program.manifest.revision,
            services: service.isEmpty ? [GatewayAddress(argument: target.defaultService)!] : service,
            upstream: upstream, listen: listen, httpPathPrefix: httpPathPrefix, timeoutMilliseconds: timeoutMs,
            warnings: findings.map(\.message))
        switch target {
        case .envoyGRPC: print(EnvoyConfig(facts: facts, grpc: true, options: options).render(), terminator: "")
        case .envoyHTTP: print(EnvoyConfig(facts: facts, grpc: false, options: options).render(), terminator: "")
        case .nginx: print(NginxConfig(facts: facts, options: options).render(), terminator: "")
        case .caddy: print(CaddyConfig(facts: facts, options: options).render(), terminator: "")
        case .traefik: print(TraefikConfig(facts: facts, options: options).render(), terminator: "")
        }
    }

    /// One bundle is read (and its signature checked against --trusted-key); anything else is compiled.
    func loadProgram() throws -> DecisionProgram {
        if paths.count == 1, !isDirectory(paths[0]) {
            let bytes = try BundleFile.read(paths[0])
            if bytes.starts(with: DiffInput.bundleMagic) || paths[0].hasSuffix(".gpb") {
                do {
                    return try BundleReader(trustedKeys: try BundleFile.trustedKeys(trustedKey)).read(bytes)
                } catch let error as BundleError {
                    throw CLIError("\(paths[0]): \(error)")
                }
            }
        }
        if !trustedKey.isEmpty { throw CLIError("--trusted-key goes with a bundle input, not with policy files") }
        let outcome = Pipeline(loader: PolicySetLoader(maxFileSize: maxFileSize)).compile(paths: paths)
        guard let program = outcome.program, !outcome.check.hadIOFailure else {
            let colors = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            let diagnostics = outcome.check.diagnostics
            FileHandle.standardError.write(Data(TextRenderer(colors: colors).render(diagnostics.sorted).utf8))
            throw CLIError("the policies do not compile (run `gatepass check`)")
        }
        return program
    }

    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}

/// The addresses and settings every renderer shares.
struct GatewayRenderOptions {
    var target: GatewayTarget
    var revision: String
    /// The decision service replicas (one or more).
    var services: [GatewayAddress]
    /// The first replica: the one address of targets that take one.
    var service: GatewayAddress { services[0] }
    var upstream: GatewayAddress
    var listen: GatewayAddress
    var httpPathPrefix: String
    var timeoutMilliseconds: Int
    var warnings: [String]

    /// Envoy's duration text: `0.5s`.
    var timeoutText: String {
        let whole = timeoutMilliseconds / 1000, rest = timeoutMilliseconds % 1000
        if rest == 0 { return "\(whole)s" }
        var fraction = String(rest)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)s"
    }

    /// The opening comment: what wrote the file, from which revision, and every warning.
    func header(comment: String) -> String {
        var out = "\(comment) Written by `gatepass gateway-config \(target.rawValue)` from policy revision \(revision).\n"
        out += "\(comment) Regenerate it when the policies change; do not edit by hand.\n"
        for warning in warnings { out += "\(comment) WARNING: \(warning)\n" }
        return out
    }
}

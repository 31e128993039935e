import ArgumentParser
import DecisionService
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
        `gatepassd: listening grpc=127.0.0.1:9191 ... revision=REV`. Exit status 2 on a usage error, \
        a bundle that cannot be loaded, or a listener that cannot bind; 0 after SIGTERM or SIGINT.
        """
    )

    @Option(help: "The compiled bundle.")
    var bundle: String

    @Option(name: .customLong("trusted-key"), help: "A trusted Ed25519 public key (PEM), repeatable: the bundle must be signed by one.")
    var trustedKeys: [String] = []

    @Option(help: "Envoy ext_authz gRPC listener (envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health).")
    var grpc: String?

    @Option(help: "Envoy ext_authz HTTP service listener.")
    var http: String?

    @Option(name: .customLong("http-path-prefix"), help: "The path_prefix Envoy's http_service puts before the original path.")
    var httpPathPrefix: String = ""

    @Option(name: .customLong("forward-auth"), help: "Forward-auth listener for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth.")
    var forwardAuth: String?

    @Option(name: .customLong("trusted-proxy"), help: "A proxy address whose X-Forwarded-* headers forward auth believes, repeatable (default 127.0.0.1 and ::1).")
    var trustedProxies: [String] = []

    @Option(help: "Admin listener: GET /healthz and /readyz.")
    var admin: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (logs go to standard error).")
    var logLevel: String = "info"

    func validate() throws {
        if grpc == nil && http == nil && forwardAuth == nil {
            throw ValidationError("give at least one decision listener: --grpc, --http or --forward-auth")
        }
        for (flag, value) in [("--grpc", grpc), ("--http", http), ("--forward-auth", forwardAuth), ("--admin", admin)] {
            if let value, Self.address(value) == nil { throw ValidationError("\(flag): `\(value)` is not HOST:PORT") }
        }
        if !httpPathPrefix.isEmpty && !httpPathPrefix.hasPrefix("/") {
            throw ValidationError("--http-path-prefix must start with `/`")
        }
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

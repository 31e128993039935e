import ArgumentParser
import BundleFormat

/// A gateway `gatepass gateway-config` writes configuration for, and what it can do.
/// The capability table in docs/deployment.md is this type, written out.
enum GatewayTarget: String, ExpressibleByArgument, CaseIterable {
    case envoyGRPC = "envoy-grpc"
    case envoyHTTP = "envoy-http"
    case nginx
    case caddy
    case traefik

    /// The decision-service listener this gateway talks to, by default.
    var defaultService: String {
        switch self {
        case .envoyGRPC: "127.0.0.1:9191"
        case .envoyHTTP: "127.0.0.1:9192"
        case .nginx, .caddy, .traefik: "127.0.0.1:9193"
        }
    }

    /// Several `--service` replicas become one load-balanced group (an Envoy cluster with
    /// health checks, outlier detection and retries; an nginx `upstream`).
    var balancesReplicas: Bool { self == .envoyGRPC || self == .envoyHTTP || self == .nginx }

    /// The service decides per request what to remove, and the gateway applies it
    /// (Envoy: `headers_to_remove`, `x-envoy-auth-headers-to-remove`). Forward-auth
    /// gateways cannot: their configuration removes a token header on every request.
    var appliesPerDecisionRemoval: Bool { self == .envoyGRPC || self == .envoyHTTP }

    /// Query parameters removed from the upstream request: only `OkHttpResponse.query_parameters_to_remove`.
    var removesQueryTokens: Bool { self == .envoyGRPC }

    /// One cookie removed from the `cookie` header: the Envoy modes, where the service
    /// sets the rewritten `cookie` header (or removes it when nothing is left).
    var removesCookieTokens: Bool { self == .envoyGRPC || self == .envoyHTTP }

    /// How a client's alias of a claim header (`x_user_id`, `x.user.id`: the same header to
    /// CGI-style backends) is kept from the upstream. Envoy: the service sees every alias
    /// (`allowed_headers` patterns) and removes it; nginx: `underscores_in_headers off` and
    /// `ignore_invalid_headers on` drop every name with punctuation other than `-`; Caddy:
    /// each `-`/`_` spelling is deleted, other punctuation is not; Traefik: the entry
    /// point's `aliasHeadersStrategy: delete` (static configuration, which the generator
    /// only shows) deletes every alias, and each `-`/`_` spelling is deleted besides.
    enum AliasRemoval { case all, hyphenUnderscoreOnly, needsStaticOption }

    var aliasRemoval: AliasRemoval {
        switch self {
        case .envoyGRPC, .envoyHTTP, .nginx: .all
        case .caddy: .hyphenUnderscoreOnly
        case .traefik: .needsStaticOption
        }
    }

    /// Why a token the policy removes (passthrough off) would reach the upstream.
    func cannotRemove(_ token: GatewayFacts.Token) -> String? {
        guard !token.location.passthrough else { return nil }
        switch token.location.source {
        case .header: return nil
        case .query where !removesQueryTokens:
            return "\(rawValue) cannot remove the query token `\(token.location.name)` of entry `\(token.entry)` (passthrough is off), so it would reach the upstream"
        case .cookie where !removesCookieTokens:
            return "\(rawValue) cannot remove the cookie token `\(token.location.name)` of entry `\(token.entry)` (passthrough is off), so it would reach the upstream"
        default: return nil
        }
    }
}

/// A problem found while writing a gateway configuration: an error stops the
/// generator (exit 1) unless the operator accepted it; a warning is printed and written
/// into the configuration as a comment.
struct GatewayFinding: Hashable {
    enum Severity: String { case error, warning }

    var severity: Severity
    var message: String
}

extension GatewayTarget {
    /// Everything this gateway cannot do for these policies. Token leaks are errors
    /// (warnings with `allowUnremovedTokens`); lesser gaps are warnings.
    func findings(for facts: GatewayFacts, allowUnremovedTokens: Bool) -> [GatewayFinding] {
        var findings: [GatewayFinding] = []
        let leak: GatewayFinding.Severity = allowUnremovedTokens ? .warning : .error
        for token in facts.tokens {
            if let problem = cannotRemove(token) {
                findings.append(GatewayFinding(severity: leak, message: problem + "; use envoy-grpc, or set `passthrough: true` on the entry"))
            }
        }
        if !appliesPerDecisionRemoval {
            for mixed in facts.mixedTokenHeaders {
                findings.append(GatewayFinding(
                    severity: leak,
                    message: "\(rawValue) removes a token header on every request or on none, but `\(mixed.header)` is removed by "
                        + "\(mixed.removing.map { "`\($0)`" }.joined(separator: ", ")) and passed through by "
                        + "\(mixed.keeping.map { "`\($0)`" }.joined(separator: ", ")); it is kept, so it would reach the upstream; use envoy-grpc or envoy-http"))
            }
        }
        if let example = facts.claimHeaders.first {
            let dotted = example.replacingAll("-", with: ".")
            switch aliasRemoval {
            case .all: break
            case .hyphenUnderscoreOnly:
                findings.append(GatewayFinding(
                    severity: .warning,
                    message: "\(rawValue) deletes the `-` and `_` spellings of claim headers only: a client's alias with other "
                        + "punctuation (`\(dotted)`) reaches the upstream, and CGI-style backends (PHP, WSGI, CGI) read it as "
                        + "`\(example)`; use envoy-grpc, envoy-http or nginx in front of such a backend"))
            case .needsStaticOption:
                findings.append(GatewayFinding(
                    severity: .warning,
                    message: "\(rawValue) must set `aliasHeadersStrategy: delete` on the entry point (static configuration, shown "
                        + "in the header comment; Traefik 3.7.12 or later): without it a client's alias of a claim header "
                        + "(`\(dotted)`) reaches the upstream, and CGI-style backends read it as `\(example)`"))
            }
        }
        return findings
    }
}

public import BundleFormat
public import NIOCore
public import NIOHTTP1
import Runtime

/// Envoy ext_authz in HTTP service mode: Envoy sends the original method, the configured
/// `path_prefix` followed by the original request-target, the host and the allowed headers.
/// Allow is exactly 200 (Envoy takes 202 or 204 as denials) with the forwarded-claim
/// headers and `x-envoy-auth-headers-to-remove`.
public struct ExtAuthzHTTP: HTTPEndpoint {
    public let transport = "http"
    let core: DecisionCore
    /// The prefix Envoy puts in front of the original path, without a trailing `/`.
    let pathPrefix: String

    public init(core: DecisionCore, pathPrefix: String = "") {
        self.core = core
        var prefix = pathPrefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.pathPrefix = prefix
    }

    /// Why this mode cannot serve `program`: it cannot remove query parameters, so a query
    /// token with passthrough off would reach the upstream. Names the first such entry.
    public static func refusal(for program: DecisionProgram) -> String? {
        for entry in program.entries.sorted(by: { $0.name < $1.name }) {
            for location in entry.tokenLocations where location.source == .query && !location.passthrough {
                return "entry `\(entry.name)` reads its token from the query parameter `\(location.name)` with passthrough off, "
                    + "and Envoy's HTTP mode cannot remove query parameters: use the gRPC mode (--grpc)"
            }
        }
        return nil
    }

    public func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply {
        switch answer(to: head, waiting: false) {
        case .now(let reply): reply
        case .later: preconditionFailure("a decision that does not wait answers now")
        }
    }

    public func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer {
        answer(to: head, waiting: true)
    }

    func answer(to head: HTTPRequestHead, waiting: Bool) -> HTTPAnswer {
        guard let target = originalTarget(head.uri) else {
            return .now(DenialReply.reply(core.refuse("request-target outside --http-path-prefix", transport: transport)))
        }
        let request = HTTPRequest(method: head.method.rawValue, host: nil, target: target, headers: Self.runtimeHeaders(head))
        let attempt = waiting ? core.attempt(request, transport: transport) : .done(core.decide(request, transport: transport))
        return HTTPAnswer.from(attempt) { outcome in
            switch outcome {
            case .unavailable: DenialReply.unavailable
            case .decided(let response): Self.reply(response)
            }
        }
    }

    public var latency: LatencyRecorder? { core.latency.recorder(transport) }

    public func badInputReply() -> HTTPReply {
        DenialReply.reply(core.refuse("oversized request", transport: transport))
    }

    /// The original request-target: `uri` without the prefix; the rest must start with `/`.
    func originalTarget(_ uri: String) -> String? {
        guard uri.hasPrefix(pathPrefix) else { return nil }
        let rest = String(uri.dropFirst(pathPrefix.count))
        return rest.hasPrefix("/") ? rest : nil
    }

    /// The HTTP reply for a decided request.
    public static func reply(_ response: ServiceResponse) -> HTTPReply {
        guard response.allowed else { return DenialReply.reply(response) }
        var headers = response.upstreamHeaders
        if case .set(let value) = response.cookie { headers.append(HTTPHeader("cookie", value)) }
        let removed = response.removeHeadersIncludingCookie
        if !removed.isEmpty { headers.append(HTTPHeader("x-envoy-auth-headers-to-remove", removed.joined(separator: ", "))) }
        return HTTPReply(status: 200, headers: headers)
    }
}

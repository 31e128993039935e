public import NIOCore
public import NIOHTTP1
public import Runtime

/// Forward auth for nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth`:
/// the original request is described by `X-Forwarded-Method`/`X-Original-Method`,
/// `X-Forwarded-Uri`/`X-Original-URI` and `X-Forwarded-Host`/`Host`, believed only from a
/// trusted proxy. Allow: 200 with the forwarded-claim headers. Deny: 401/403 with
/// `WWW-Authenticate`; `bad_request` is 400, or, for nginx (which turns any status but
/// 2xx, 401 and 403 into 500), 403 with `x-gatepass-status: 400` when the auth request
/// carries `X-Gatepass-Gateway: nginx` (which also reads only nginx's own headers).
public struct ForwardAuth: HTTPEndpoint {
    public let transport = "forward-auth"
    /// The request header that selects the nginx answer for `bad_request`.
    public static let gatewayHeader = "x-gatepass-gateway"
    /// Headers that describe the original request; never passed to the policy as headers.
    static let describingHeaders: Set<String> = [
        "x-forwarded-method", "x-original-method", "x-forwarded-uri", "x-original-uri",
        "x-forwarded-host", "x-forwarded-proto", "host", gatewayHeader,
    ]

    let core: DecisionCore
    let trustedProxies: TrustedProxies

    public init(core: DecisionCore, trustedProxies: TrustedProxies = .loopback) {
        self.core = core
        self.trustedProxies = trustedProxies
    }

    public func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply {
        switch answer(to: head, peer: peer, waiting: false) {
        case .now(let reply): reply
        case .later: preconditionFailure("a decision that does not wait answers now")
        }
    }

    public func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer {
        answer(to: head, peer: peer, waiting: true)
    }

    func answer(to head: HTTPRequestHead, peer: SocketAddress?, waiting: Bool) -> HTTPAnswer {
        let nginx = head.headers[Self.gatewayHeader].contains { $0.lowercased() == "nginx" }
        guard trustedProxies.trusts(peer) else {
            return .now(Self.reply(core.refuse("forward-auth request from an untrusted peer", transport: transport), nginx: nginx))
        }
        switch Self.originalRequest(head, nginx: nginx) {
        case .failure(let problem):
            return .now(Self.reply(core.refuse(problem.text, transport: transport), nginx: nginx))
        case .success(let request):
            let attempt = waiting ? core.attempt(request, transport: transport) : .done(core.decide(request, transport: transport))
            return HTTPAnswer.from(attempt) { outcome in
                switch outcome {
                case .unavailable: DenialReply.unavailable
                case .decided(let response): Self.reply(response, nginx: nginx)
                }
            }
        }
    }

    public var latency: LatencyRecorder? { core.latency.recorder(transport) }

    public func badInputReply() -> HTTPReply {
        DenialReply.reply(core.refuse("oversized request", transport: transport))
    }

    /// Why a forward-auth request does not describe one original request.
    public struct Problem: Error, Equatable {
        public let text: String
    }

    /// The original request. Each describing header may appear once; when both spellings
    /// are present they must agree. No original URI or no original method is a bad request:
    /// rules may depend on the method, and the auth request's own method (nginx's subrequest
    /// is a GET) says nothing about the client's, so it is never guessed.
    ///
    /// For nginx only `X-Original-URI`, `X-Original-Method` and `Host` count: nginx passes
    /// the client's own headers into the auth subrequest, so a client-sent
    /// `X-Forwarded-Host` must never choose the host the policy sees.
    public static func originalRequest(_ head: HTTPRequestHead, nginx: Bool = false) -> Result<HTTPRequest, Problem> {
        func single(_ names: String...) -> Result<String?, Problem> {
            var found: String?
            for name in names {
                let values = head.headers[name]
                if values.count > 1 { return .failure(Problem(text: "repeated \(name) header")) }
                guard let value = values.first else { continue }
                if let found, found != value { return .failure(Problem(text: "conflicting \(names.joined(separator: "/")) headers")) }
                found = value
            }
            return .success(found)
        }
        let method: String?
        let target: String?
        let host: String?
        switch nginx ? single("x-original-method") : single("x-forwarded-method", "x-original-method") {
        case .failure(let problem): return .failure(problem)
        case .success(let value): method = value
        }
        switch nginx ? single("x-original-uri") : single("x-forwarded-uri", "x-original-uri") {
        case .failure(let problem): return .failure(problem)
        case .success(let value): target = value
        }
        switch nginx ? .success(nil) : single("x-forwarded-host") {
        case .failure(let problem): return .failure(problem)
        case .success(let value): host = value
        }
        guard let target, !target.isEmpty else { return .failure(Problem(text: "no X-Forwarded-Uri or X-Original-URI header")) }
        guard let method else {
            return .failure(Problem(text: nginx ? "no X-Original-Method header" : "no X-Forwarded-Method or X-Original-Method header"))
        }
        if method.isEmpty { return .failure(Problem(text: "empty original method")) }
        let headers = runtimeHeaders(head, excluding: describingHeaders)
        var originalHost = host
        if originalHost == nil {
            // Without X-Forwarded-Host the auth request's own Host names the original host.
            let hosts = head.headers["host"]
            if hosts.count > 1 { return .failure(Problem(text: "repeated Host header")) }
            originalHost = hosts.first
        }
        return .success(HTTPRequest(method: method, host: originalHost, target: target, headers: headers))
    }

    /// The HTTP reply for a decided request.
    public static func reply(_ response: ServiceResponse, nginx: Bool) -> HTTPReply {
        guard response.allowed else {
            return DenialReply.reply(response, status: nginx && response.status == 400 ? 403 : nil)
        }
        return HTTPReply(status: 200, headers: response.upstreamHeaders)
    }
}
